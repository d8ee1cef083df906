import { createHash } from 'node:crypto'
import { imageSize } from 'image-size'
import type { FigmaPort, PortNode, PortPage, PortRectangle, PortSceneNode } from '../../plugin/figma-port'
import { makePng } from './make-image'

/**
 * An in-memory Figma for tests, typed against the same port the plugin uses with the real API.
 * It keeps Figma's rules that the plugin depends on: exportAsync returns real PNG bytes at the
 * requested constraint, createImage rejects non-images and anything over 4096 px a side, new
 * rectangles land on the current page, clientStorage clones and caps at 5 MB, messages are
 * structured-cloned and delivered asynchronously, and undo reverts to the last commitUndo.
 */
type Change = () => void

const CREATE_IMAGE_MAX_SIDE = 4096
const CLIENT_STORAGE_BYTES = 5 * 1024 * 1024

let nextId = 1

abstract class FakeBaseNode implements PortNode {
  readonly id: string
  abstract readonly type: string
  parent: FakeContainer | null = null
  removed = false
  protected readonly world: FakeWorld
  #name: string

  constructor(world: FakeWorld, name: string) {
    this.world = world
    this.id = `${nextId++}:${Math.floor(Math.random() * 1000)}`
    this.#name = name
    world.nodes.set(this.id, this)
  }

  get name(): string {
    return this.#name
  }
  set name(value: string) {
    const before = this.#name
    this.world.record(() => (this.#name = before))
    this.#name = value
  }
}

type FakeContainer = FakePage | FakeFrame

export class FakeSceneNode extends FakeBaseNode implements PortSceneNode {
  readonly type: string
  #x: number
  #y: number
  #width: number
  #height: number
  visible = true
  exportFails = false
  readonly exports: ExportSettingsImage[] = []
  readonly pluginData = new Map<string, string>()

  constructor(world: FakeWorld, type: string, name: string, box: { x: number; y: number; width: number; height: number }) {
    super(world, name)
    this.type = type
    this.#x = box.x
    this.#y = box.y
    this.#width = box.width
    this.#height = box.height
  }

  get x(): number {
    return this.#x
  }
  set x(value: number) {
    const before = this.#x
    this.world.record(() => (this.#x = before))
    this.#x = value
  }
  get y(): number {
    return this.#y
  }
  set y(value: number) {
    const before = this.#y
    this.world.record(() => (this.#y = before))
    this.#y = value
  }
  get width(): number {
    return this.#width
  }
  get height(): number {
    return this.#height
  }

  resize(width: number, height: number): void {
    if (!(width >= 0.01 && height >= 0.01)) throw new Error('resize: width and height must be >= 0.01')
    const [w, h] = [this.#width, this.#height]
    this.world.record(() => {
      this.#width = w
      this.#height = h
    })
    this.#width = width
    this.#height = height
  }

  get absoluteBoundingBox(): Rect | null {
    let x = this.#x
    let y = this.#y
    for (let parent = this.parent; parent instanceof FakeFrame; parent = parent.parent) {
      x += parent.x
      y += parent.y
    }
    return { x, y, width: this.#width, height: this.#height }
  }

  async exportAsync(settings: ExportSettingsImage): Promise<Uint8Array> {
    if (this.removed) throw new Error('The node with id has been deleted')
    this.exports.push(settings)
    if (this.exportFails) throw new Error('Failed to export node')
    if (settings.format !== 'PNG' && settings.format !== 'JPG') throw new Error(`unsupported format ${String(settings.format)}`)
    const constraint = settings.constraint ?? { type: 'SCALE', value: 1 }
    const scale =
      constraint.type === 'SCALE' ? constraint.value : constraint.type === 'WIDTH' ? constraint.value / this.#width : constraint.value / this.#height
    const width = Math.max(1, Math.round(this.#width * scale))
    const height = Math.max(1, Math.round(this.#height * scale))
    return makePng(width, height, this.id.length + Math.round(this.#width))
  }

  setPluginData(key: string, value: string): void {
    if (key.length + value.length > 100_000) throw new Error('setPluginData: value exceeds 100 kB')
    const before = this.pluginData.get(key)
    this.world.record(() => (before === undefined ? this.pluginData.delete(key) : this.pluginData.set(key, before)))
    if (value === '') this.pluginData.delete(key)
    else this.pluginData.set(key, value)
  }

  getPluginData(key: string): string {
    return this.pluginData.get(key) ?? ''
  }

  remove(): void {
    this.world.detach(this)
  }
}

export class FakeRectangle extends FakeSceneNode implements PortRectangle {
  #fills: ReadonlyArray<Paint> | symbol = [{ type: 'SOLID', color: { r: 0.85, g: 0.85, b: 0.85 } }]

  constructor(world: FakeWorld, name = 'Rectangle', box = { x: 0, y: 0, width: 100, height: 100 }) {
    super(world, 'RECTANGLE', name, box)
  }

  get fills(): ReadonlyArray<Paint> | symbol {
    return this.#fills
  }
  set fills(value: ReadonlyArray<Paint> | symbol) {
    if (typeof value !== 'symbol') {
      for (const paint of value) {
        if (paint.type === 'IMAGE' && paint.imageHash !== null && !this.world.images.has(paint.imageHash)) {
          throw new Error(`fills: unknown image hash ${paint.imageHash}`)
        }
      }
    }
    const before = this.#fills
    this.world.record(() => (this.#fills = before))
    // Figma freezes assigned fills; mutation after assignment throws there too.
    this.#fills = typeof value === 'symbol' ? value : Object.freeze(value.map((paint) => Object.freeze({ ...paint })))
  }
}

export class FakeFrame extends FakeSceneNode {
  readonly children: FakeSceneNode[] = []
  layoutMode: 'NONE' | 'HORIZONTAL' | 'VERTICAL' = 'NONE'

  constructor(world: FakeWorld, name: string, box: { x: number; y: number; width: number; height: number }) {
    super(world, 'FRAME', name, box)
  }

  append(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
}

export class FakePage extends FakeBaseNode implements PortPage<FakeSceneNode> {
  readonly type = 'PAGE'
  readonly children: FakeSceneNode[] = []
  selection: ReadonlyArray<FakeSceneNode> = []

  append(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
}

class FakeWorld {
  readonly nodes = new Map<string, FakeBaseNode>()
  readonly images = new Map<string, Uint8Array>()
  /** Changes since the last commitUndo, newest last; each entry reverts one change. */
  open: Change[] = []
  readonly committed: Change[][] = []

  record(change: Change): void {
    this.open.push(change)
  }

  attach(parent: FakeContainer, child: FakeSceneNode): void {
    this.detach(child)
    parent.children.push(child)
    child.parent = parent
    child.removed = false
    this.record(() => {
      parent.children.splice(parent.children.indexOf(child), 1)
      child.parent = null
      child.removed = true
    })
  }

  detach(child: FakeSceneNode): void {
    const parent = child.parent
    if (parent === null) return
    const index = parent.children.indexOf(child)
    parent.children.splice(index, 1)
    child.parent = null
    child.removed = true
    this.record(() => {
      parent.children.splice(index, 0, child)
      child.parent = parent
      child.removed = false
    })
  }
}

export interface FakeFigma extends FigmaPort<FakeSceneNode, FakeRectangle, FakePage> {
  currentPage: FakePage
  readonly pages: FakePage[]
  readonly notifications: Array<{ message: string; options: NotificationOptions | undefined }>
  readonly storage: Map<string, unknown>
  readonly scrolledTo: FakeSceneNode[][]
  readonly undoCommits: number
  addPage(name: string): FakePage
  frame(name: string, box: { x: number; y: number; width: number; height: number }, parent?: FakeContainer): FakeFrame
  rectangle(name: string, box: { x: number; y: number; width: number; height: number }, parent?: FakeContainer): FakeRectangle
  select(nodes: FakeSceneNode[]): void
  /** What Cmd/Ctrl+Z does: reverts everything back to the last commitUndo. */
  undo(): void
  imageBytes(hash: string): Uint8Array | undefined
  /** Messages the sandbox posted to the UI, after structured cloning. */
  readonly toUi: unknown[]
  onUiMessage(listener: (message: unknown) => void): () => void
  /** Sends a message from the UI to the sandbox, as parent.postMessage would. */
  sendFromUi(message: unknown): void
  /** Resolves when every message and event queued so far has been delivered. */
  flushAsync(): Promise<void>
}

function byteLengthOf(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  return JSON.stringify(value ?? null).length
}

export function createFakeFigma(): FakeFigma {
  const world = new FakeWorld()
  const firstPage = new FakePage(world, 'Page 1')
  const pages = [firstPage]
  const handlers = { selectionchange: new Set<() => void>(), currentpagechange: new Set<() => void>() }
  const sandboxListeners = new Set<(message: unknown) => void>()
  const uiListeners = new Set<(message: unknown) => void>()
  const pending = new Set<Promise<void>>()
  let commits = 0

  function deliver(run: () => void): void {
    const delivery = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(run)
    pending.add(delivery)
    void delivery.finally(() => pending.delete(delivery))
  }

  function place(node: FakeSceneNode, parent: FakeContainer | undefined): void {
    const target = parent ?? figma.currentPage
    target.children.push(node)
    node.parent = target
  }

  const figma: FakeFigma = {
    currentPage: firstPage,
    pages,
    notifications: [],
    storage: new Map(),
    scrolledTo: [],
    toUi: [],
    get undoCommits() {
      return commits
    },
    viewport: {
      center: { x: 600, y: 400 },
      scrollAndZoomIntoView(nodes) {
        figma.scrolledTo.push([...nodes])
      }
    },
    clientStorage: {
      async getAsync(key) {
        return structuredClone(figma.storage.get(key))
      },
      async setAsync(key, value) {
        const next = new Map(figma.storage)
        next.set(key, structuredClone(value))
        const total = [...next].reduce((sum, [k, v]) => sum + k.length + byteLengthOf(v), 0)
        if (total > CLIENT_STORAGE_BYTES) throw new Error('clientStorage: quota of 5 MB exceeded')
        figma.storage.set(key, structuredClone(value))
      }
    },
    ui: {
      postMessage(message) {
        const copy = structuredClone(message)
        deliver(() => {
          figma.toUi.push(copy)
          for (const listener of uiListeners) listener(copy)
        })
      },
      on(_type, handler) {
        sandboxListeners.add(handler)
      }
    },
    on(type, handler) {
      handlers[type].add(handler)
    },
    async getNodeByIdAsync(id) {
      const node = world.nodes.get(id)
      return node === undefined || node.removed ? null : node
    },
    async setCurrentPageAsync(page) {
      figma.currentPage = page
      for (const handler of handlers.currentpagechange) handler()
    },
    createRectangle() {
      const rect = new FakeRectangle(world)
      world.attach(figma.currentPage, rect)
      return rect
    },
    createImage(bytes) {
      let size: { width: number; height: number; type?: string }
      try {
        size = imageSize(bytes)
      } catch {
        throw new Error('Image type is unsupported')
      }
      if (!['png', 'jpg', 'gif'].includes(size.type ?? '')) throw new Error('Image type is unsupported')
      if (size.width > CREATE_IMAGE_MAX_SIDE || size.height > CREATE_IMAGE_MAX_SIDE) {
        throw new Error(`Image is too large (${size.width}x${size.height}); the maximum is 4096x4096`)
      }
      const hash = createHash('sha1').update(bytes).digest('hex')
      world.images.set(hash, new Uint8Array(bytes))
      return { hash }
    },
    commitUndo() {
      commits += 1
      if (world.open.length > 0) world.committed.push(world.open)
      world.open = []
    },
    notify(message, options) {
      if (message.length > 100) throw new Error('notify: message longer than 100 characters')
      figma.notifications.push({ message, options })
      return { cancel: () => undefined }
    },
    addPage(name) {
      const page = new FakePage(world, name)
      pages.push(page)
      return page
    },
    frame(name, box, parent) {
      const frame = new FakeFrame(world, name, box)
      place(frame, parent)
      return frame
    },
    rectangle(name, box, parent) {
      const rect = new FakeRectangle(world, name, box)
      place(rect, parent)
      return rect
    },
    select(nodes) {
      figma.currentPage.selection = nodes
      for (const handler of handlers.selectionchange) handler()
    },
    undo() {
      if (world.open.length > 0) world.committed.push(world.open)
      world.open = []
      const batch = world.committed.pop() ?? []
      for (const change of batch.reverse()) change()
    },
    imageBytes(hash) {
      return world.images.get(hash)
    },
    onUiMessage(listener) {
      uiListeners.add(listener)
      return () => uiListeners.delete(listener)
    },
    sendFromUi(message) {
      const copy = structuredClone(message)
      deliver(() => {
        for (const listener of sandboxListeners) listener(copy)
      })
    },
    async flushAsync() {
      for (let round = 0; round < 50 && pending.size > 0; round += 1) {
        await Promise.all([...pending])
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
    }
  }
  return figma
}
