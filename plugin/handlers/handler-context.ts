import type { PluginToUi, UiToPlugin } from '../../shared/messages'
import type { ControllerDeps } from '../controller'
import type { FigmaPort, PortPage, PortRectangle, PortSceneNode } from '../figma-port'

/** What every message handler may use: the platform, the controller's deps and its shared state. */
export interface HandlerContext<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>> {
  readonly figma: FigmaPort<N, R, P>
  readonly deps: ControllerDeps
  /** Requests the UI has canceled; an export or placement under way checks it before answering. */
  readonly canceled: Set<string>
  post(message: PluginToUi): void
  /** This file's id for its history, minted on first use. */
  fileId(): string
  /** Drops a selection report still waiting out its debounce. */
  cancelPendingSelection(): void
  /** Reads the selection, thumbnails included, and reports it unless a newer change has been reported since. */
  sendSelectionAsync(): Promise<void>
}

/** Handles one kind of message. Generic in the node types, as the controller is. */
export type MessageHandler<K extends UiToPlugin['type']> = <N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(
  message: Extract<UiToPlugin, { type: K }>,
  context: HandlerContext<N, R, P>
) => Promise<void>
