/**
 * The part of Figma's plugin API that Kontext Edit uses. Production passes the real `figma`
 * (main.ts only compiles while the real API satisfies this port); tests pass a fake of the same
 * shape. The node types are parameters because Figma's methods take only its own node types
 * back: with the real API they are SceneNode, RectangleNode and PageNode.
 */
export interface PortNode {
  readonly id: string
  readonly type: string
  readonly removed: boolean
  name: string
  readonly parent: PortNode | null
}

export interface PortSceneNode extends PortNode {
  readonly width: number
  readonly height: number
  readonly absoluteBoundingBox: Rect | null
  visible: boolean
  /** Frames, groups, components: what they contain. */
  readonly children?: ReadonlyArray<PortSceneNode>
  /** Text layers only. */
  readonly characters?: string
  /** Frames, components and instances: whether children outside the box are cut off (groups have none). */
  readonly clipsContent?: boolean
  exportAsync(settings: ExportSettingsImage): Promise<Uint8Array>
  getPluginData(key: string): string
}

export interface PortRectangle extends PortSceneNode {
  x: number
  y: number
  fills: ReadonlyArray<Paint> | symbol
  resize(width: number, height: number): void
  setPluginData(key: string, value: string): void
  /** Buttons in the properties panel; the commands must be the manifest's relaunchButtons. */
  setRelaunchData(data: { [command: string]: string }): void
}

/**
 * A slice: an invisible page-level rectangle whose export renders everything under it (typings:
 * createSlice, SliceNode), the way to export part of a frame natively at any scale.
 */
export interface PortSlice extends PortNode {
  x: number
  y: number
  resize(width: number, height: number): void
  exportAsync(settings: ExportSettingsImage): Promise<Uint8Array>
  remove(): void
}

export interface PortPage<N extends PortSceneNode = PortSceneNode> extends PortNode {
  /** Under documentAccess "dynamic-page", readable only once the page is loaded (loadAsync). */
  readonly children: ReadonlyArray<N>
  /** Only this page's nodes: Figma throws for nodes on another page. */
  selection: ReadonlyArray<N>
  loadAsync(): Promise<void>
}

export interface FigmaPort<
  N extends PortSceneNode = PortSceneNode,
  R extends N & PortRectangle = N & PortRectangle,
  P extends PortPage<N> = PortPage<N>,
  S extends PortSlice = PortSlice
> {
  readonly currentPage: P
  /** The document: file-wide plugin data (this file's id for its history). */
  readonly root: { getPluginData(key: string): string; setPluginData(key: string, value: string): void }
  readonly viewport: { readonly center: Vector; scrollAndZoomIntoView(nodes: ReadonlyArray<N>): void }
  readonly clientStorage: { getAsync(key: string): Promise<unknown>; setAsync(key: string, value: unknown): Promise<void> }
  readonly ui: { postMessage(message: unknown): void; on(type: 'message', handler: (message: unknown) => void): void }
  on(type: 'selectionchange' | 'currentpagechange', handler: () => void): void
  getNodeByIdAsync(id: string): Promise<PortNode | null>
  setCurrentPageAsync(page: P): Promise<void>
  /** Figma appends a new rectangle to the current page. */
  createRectangle(): R
  /** Figma appends a new slice to the current page. */
  createSlice(): S
  createImage(bytes: Uint8Array): { readonly hash: string }
  commitUndo(): void
  closePlugin(message?: string): void
  notify(message: string, options?: NotificationOptions): NotificationHandler
}

export function isPage<P extends PortPage<PortSceneNode>>(node: PortNode | null): node is P {
  return node !== null && node.type === 'PAGE' && 'children' in node && 'selection' in node
}

export function isSceneNode<N extends PortSceneNode>(node: PortNode | null): node is N {
  return node !== null && node.type !== 'PAGE' && node.type !== 'DOCUMENT' && 'exportAsync' in node && 'absoluteBoundingBox' in node
}

export function pageOf<P extends PortPage<PortSceneNode>>(node: PortNode): P | undefined {
  let current: PortNode | null = node.parent
  while (current !== null) {
    if (isPage<P>(current)) return current
    current = current.parent
  }
  return undefined
}
