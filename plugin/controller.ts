import { PluginToUi, UiToPlugin, type LaunchCommand } from '../shared/messages'
import { findAreaOffer } from './area/find-area-offer'
import type { FigmaPort, PortPage, PortRectangle, PortSceneNode } from './figma-port'
import type { HandlerContext, MessageHandler } from './handlers/handler-context'
import { MESSAGE_HANDLERS } from './handlers/message-handlers'
import { readSelectionAsync } from './selection/read-selection-async'
import { fileIdOf } from './storage/file-id-of'

export interface ControllerDeps {
  log: (message: string, detail?: unknown) => void
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule: (callback: () => void, ms: number) => () => void
  now: () => number
  randomId: () => string
  /** How the plugin was launched; the quick action carries its instruction. */
  launch: { command: LaunchCommand; instruction?: string }
}

const SELECTION_DEBOUNCE_MS = 120

/**
 * The sandbox side: answers the UI's messages and reports selection changes. Network calls live
 * in the UI (the sandbox's fetch cannot be aborted); the sandbox exports, places and stores.
 */
export function createController<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(
  figma: FigmaPort<N, R, P>,
  deps: ControllerDeps
) {
  let cancelPendingSelection = (): void => undefined
  let selectionSequence = 0
  const context: HandlerContext<N, R, P> = {
    figma,
    deps,
    canceled: new Set<string>(),
    post: (message) => figma.ui.postMessage(PluginToUi.parse(message)),
    fileId: () => fileIdOf(figma.root, deps.randomId),
    cancelPendingSelection: () => cancelPendingSelection(),
    sendSelectionAsync: () => sendSelectionAsync()
  }

  async function sendSelectionAsync(): Promise<void> {
    const sequence = ++selectionSequence
    const nodes = figma.currentPage.selection
    const selection = await readSelectionAsync(nodes)
    const area = findAreaOffer(nodes)
    // A newer change may have finished first; only the latest selection is worth showing.
    if (sequence === selectionSequence) context.post({ type: 'selection', selection, ...(area === undefined ? {} : { area }) })
  }

  function handleAsync(message: UiToPlugin): Promise<void> {
    // The table pairs each kind with its handler; TypeScript cannot follow that pairing through an index.
    const handler = MESSAGE_HANDLERS[message.type] as MessageHandler<UiToPlugin['type']>
    return handler(message, context)
  }

  // Messages are handled in the order they came, so storage writes finish before a `close` that
  // follows them. A cancel acts at once: it must reach an export or placement already under way.
  let queue: Promise<void> = Promise.resolve()

  return {
    start(): void {
      figma.ui.on('message', (raw) => {
        const parsed = UiToPlugin.safeParse(raw)
        if (!parsed.success) {
          deps.log('ignored a message the plugin does not understand', raw)
          return
        }
        const message = parsed.data
        if (message.type === 'cancel') {
          context.canceled.add(message.requestId)
          return
        }
        queue = queue.then(() => handleAsync(message)).catch((error: unknown) => deps.log('message handler failed', error))
      })
      const onSelection = (): void => {
        cancelPendingSelection()
        cancelPendingSelection = deps.schedule(
          () => void sendSelectionAsync().catch((error: unknown) => deps.log('selection failed', error)),
          SELECTION_DEBOUNCE_MS
        )
      }
      figma.on('selectionchange', onSelection)
      figma.on('currentpagechange', onSelection)
    }
  }
}
