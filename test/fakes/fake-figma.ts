import { createHash } from 'node:crypto'
import { imageSize } from 'image-size'
import type { FigmaPort, PortNode, PortPage, PortRectangle, PortSceneNode, PortSlice } from '../../plugin/figma-port'
import { encodePainted } from './paint-nodes'

/**
 * An in-memory Figma for tests, typed against the same port the plugin uses with the real API.
 * It keeps Figma's rules that the plugin depends on, and is never stricter than Figma. Sources
 * (T = @figma/plugin-typings plugin-api.d.ts; docs = developers.figma.com/docs/plugins/…):
 * - exportAsync returns real PNG bytes at the requested constraint, sized from the node's
 *   axis-aligned absolute bounds, so a rotated node exports as its bounding box (T:
 *   ExportSettingsImage.useAbsoluteBounds, DimensionAndPositionMixin.rotation/absoluteBoundingBox);
 * - rotation turns a node about its top-left corner, positive counter-clockwise (T: rotation,
 *   "Identical to Math.atan2(-m10, m00)");
 * - createImage rejects non-images and anything over 4096 px a side (T: createImage);
 * - new rectangles land on the current page; clientStorage clones and caps at 5 MB (docs:
 *   api/figma-clientStorage); messages are structured-cloned and delivered asynchronously;
 * - undo reverts to the last commitUndo (T: commitUndo); text can only be written once its font
 *   is loaded (T: loadFontAsync);
 * - a page's selection may hold only that page's nodes: setting it to another page's nodes throws
 *   "The selection of a page can only include nodes in that page" (docs: api/properties/
 *   PageNode-selection, "Possible error cases"; the official figma/plugin-samples go-to/code.ts
 *   switches page before selecting);
 * - documentAccess "dynamic-page": only the page open at launch is loaded; reading another page's
 *   children (or findAll on it) throws until `await page.loadAsync()` or setCurrentPageAsync
 *   (T: ChildrenMixin.children, PageNode.loadAsync). The error text is ours: Figma's wording is
 *   not documented. getNodeByIdAsync finds nodes on any page without loading it (T: it says
 *   nothing about loading, so the fake assumes the least);
 * - setRelaunchData throws for a description over 1000 characters; a command missing from
 *   the manifest's relaunchButtons is kept but shows no button (T: setRelaunchData, "nothing
 *   will be displayed");
 * - notify truncates a message over 100 characters (T: notify, "Longer messages will be
 *   truncated");
 * - createSlice appends a SLICE to the current page (T: createSlice, "By default, the new node is
 *   parented under figma.currentPage"); a slice is "an invisible object with a bounding box" whose
 *   "purpose is to allow you to export a specific part of a document" (docs: api/SliceNode), and
 *   its exportAsync renders "this region of the canvas" (docs: api/properties/figma-createslice,
 *   the example): every visible layer of its page under its rectangle, whichever frame holds it,
 *   at the requested constraint. The fake draws the page's layers in page order and no canvas
 *   background (transparent); the docs say nothing of either;
 * - a frame, component or instance clips its children when clipsContent is set; a group has no
 *   clipsContent (T: BaseFrameMixin.clipsContent; GroupNode lacks it). A group's box is given,
 *   where Figma computes it from its children;
 * - every export draws page-space pictures (test/fakes/paint-nodes.ts on Node, draw-nodes.ts in
 *   the browser): a layer's pixels depend on where it is on the page, so a slice over part of a
 *   frame shows what the frame's own export shows there, as Figma renders one document.
 *
 * It runs in Node (the default platform: pngjs/jpeg-js images, node:crypto hashes, image-size) and
 * in a browser page (test/browser/harness passes a platform that draws with OffscreenCanvas and
 * shows the UI in a sandboxed iframe), where the built dist/code.js runs against it as `figma`.
 */
type Change = () => void

const CREATE_IMAGE_MAX_SIDE = 4096
const CLIENT_STORAGE_BYTES = 5 * 1024 * 1024
const PLUGIN_DATA_MAX_CHARS = 100_000

/** What differs between Node and a browser page: image bytes, hashes, and where the UI runs. */
export interface FakeFigmaPlatform {
  /** Figma's image hash for these bytes (40 hex digits, as Figma's SHA-1 hashes are). Synchronous, as createImage is. */
  hashImage(bytes: Uint8Array): string
  /** Type and size from the image's header; undefined when the bytes are no image. */
  sniffImage(bytes: Uint8Array): FakeImageInfo | undefined
  /** Encodes `node` as `format` at exactly width×height pixels. */
  renderAsync(request: FakeRenderRequest): Promise<Uint8Array>
  /** Where showUI's HTML runs. Without one, showUI is only recorded and tests talk through sendFromUi/onUiMessage. */
  readonly ui?: FakeUiHost
}

export interface FakeImageInfo {
  width: number
  height: number
  /** 'png', 'jpg', 'gif', 'webp', … */
  type: string
}

export interface FakeRenderRequest {
  /** What to draw, bottom first, each with what it contains: a node's own export passes the node, a slice its page's layers. */
  nodes: ReadonlyArray<FakeSceneNode>
  /** The page-space rectangle the image shows (a node's axis-aligned box, a slice's rectangle). */
  box: Rect
  format: 'PNG' | 'JPG'
  width: number
  height: number
  /** Bytes of an image created with createImage, by hash (to draw IMAGE fills). */
  imageBytes(hash: string): Uint8Array | undefined
}

/** The window that shows the plugin's UI (in Figma, an iframe with an opaque origin). */
export interface FakeUiHost {
  /** Shows `html`; `receive` takes each `pluginMessage` the UI posts to its parent. */
  open(html: string, options: ShowUIOptions, receive: (pluginMessage: unknown) => void): void
  /** Delivers `{ pluginMessage }` to the UI. */
  post(pluginMessage: unknown): void
  setVisible(visible: boolean): void
  resize(width: number, height: number): void
  close(): void
}

/** The Node platform, and the default: what every Node test has always used. */
export const nodePlatform: FakeFigmaPlatform = {
  hashImage: (bytes) => createHash('sha1').update(bytes).digest('hex'),
  sniffImage(bytes) {
    try {
      const size = imageSize(bytes)
      return { width: size.width, height: size.height, type: size.type ?? '' }
    } catch {
      return undefined
    }
  },
  async renderAsync({ nodes, box, format, width, height }) {
    return encodePainted({ nodes, box, width, height }, format)
  }
}

export interface FakeFigmaOptions {
  platform?: FakeFigmaPlatform
  /** figma.command: the manifest menu command the plugin was launched with ('' when none). */
  command?: string
  /** The quick action's parameters, passed to the 'run' event. */
  parameters?: ParameterValues
  /** The manifest; with relaunchButtons, setRelaunchData rejects commands it does not list (as Figma does). */
  manifest?: { relaunchButtons?: ReadonlyArray<{ command: string }> }
  /**
   * Copies a value into the realm where the plugin's code runs. Figma hands the sandbox its own
   * objects (messages, exported bytes, stored values), so `instanceof Uint8Array` holds there;
   * a test that runs dist/code.js in a node:vm realm passes a copier into that realm.
   */
  intoSandboxRealm?: (value: unknown) => unknown
  /**
   * Figma fires 'selectionchange' (asynchronously) when the plugin itself sets page.selection too.
   * Off by default, as the Node tests were written without it; the browser harness turns it on.
   */
  selectionEventsFromPlugin?: boolean
}

let nextId = 1

abstract class FakeBaseNode implements PortNode {
  readonly id: string
  abstract readonly type: string
  parent: FakeParent | null = null
  removed = false
  readonly pluginData = new Map<string, string>()
  readonly sharedPluginData = new Map<string, string>()
  protected readonly world: FakeWorld
  #name: string
  #relaunchData: { [command: string]: string } = {}

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

  setPluginData(key: string, value: string): void {
    if (key.length + value.length > PLUGIN_DATA_MAX_CHARS) throw new Error('setPluginData: value exceeds 100 kB')
    setRecorded(this.world, this.pluginData, key, value)
  }

  getPluginData(key: string): string {
    return this.pluginData.get(key) ?? ''
  }

  getPluginDataKeys(): string[] {
    return [...this.pluginData.keys()]
  }

  setSharedPluginData(namespace: string, key: string, value: string): void {
    if (!/^[A-Za-z0-9_.]{3,}$/.test(namespace)) throw new Error('setSharedPluginData: namespace must be at least 3 alphanumeric characters')
    if (key.length + value.length > PLUGIN_DATA_MAX_CHARS) throw new Error('setSharedPluginData: value exceeds 100 kB')
    setRecorded(this.world, this.sharedPluginData, `${namespace}\u0000${key}`, value)
  }

  getSharedPluginData(namespace: string, key: string): string {
    return this.sharedPluginData.get(`${namespace}\u0000${key}`) ?? ''
  }

  /** Replaces all relaunch data on this node ({} removes it). Commands the manifest lacks show nothing. */
  setRelaunchData(data: { [command: string]: string }): void {
    for (const [command, description] of Object.entries(data)) {
      if (typeof description !== 'string') throw new Error(`setRelaunchData: the description of "${command}" must be a string`)
      if (description.length > 1000) throw new Error(`setRelaunchData: the description of "${command}" is longer than 1000 characters`)
    }
    const before = this.#relaunchData
    this.world.record(() => (this.#relaunchData = before))
    this.#relaunchData = { ...data }
  }

  getRelaunchData(): { [command: string]: string } {
    return { ...this.#relaunchData }
  }

  /** The buttons Figma shows for this node: relaunch commands the manifest's relaunchButtons list (all of them without a manifest). */
  shownRelaunchButtons(): string[] {
    const allowed = this.world.relaunchCommands
    return Object.keys(this.#relaunchData).filter((command) => allowed === undefined || allowed.includes(command))
  }
}

function setRecorded(world: FakeWorld, map: Map<string, string>, key: string, value: string): void {
  const before = map.get(key)
  world.record(() => (before === undefined ? map.delete(key) : map.set(key, before)))
  if (value === '') map.delete(key)
  else map.set(key, value)
}

type FakeContainer = FakePage | FakeFrame
type FakeParent = FakeContainer | FakeDocument
type Box = { x: number; y: number; width: number; height: number }
/** [[m00, m01, m02], [m10, m11, m12]], as Figma's Transform. */
type Matrix = [[number, number, number], [number, number, number]]

/** The fake's own list of a container's children (a page's, even while it is not loaded). */
function childrenOf(container: FakeContainer): FakeSceneNode[] {
  return container instanceof FakePage ? container.contents : container.children
}

function multiply(a: Matrix, b: Matrix): Matrix {
  return [
    [a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1], a[0][0] * b[0][2] + a[0][1] * b[1][2] + a[0][2]],
    [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1], a[1][0] * b[0][2] + a[1][1] * b[1][2] + a[1][2]]
  ]
}

/** Rounds away float noise (cos 90° is 6e-17), as Figma reports clean numbers for right angles. */
function clean(value: number): number {
  return Math.round(value * 1e6) / 1e6
}

function freezeFills(world: FakeWorld, value: ReadonlyArray<Paint> | symbol): ReadonlyArray<Paint> | symbol {
  if (typeof value === 'symbol') return value
  for (const paint of value) {
    if (paint.type === 'IMAGE' && paint.imageHash !== null && !world.images.has(paint.imageHash)) {
      throw new Error(`fills: unknown image hash ${paint.imageHash}`)
    }
  }
  // Figma freezes assigned fills; mutation after assignment throws there too.
  return Object.freeze(value.map((paint) => Object.freeze({ ...paint })))
}

export class FakeSceneNode extends FakeBaseNode implements PortSceneNode {
  readonly type: string
  declare parent: FakeContainer | null
  #x: number
  #y: number
  #width: number
  #height: number
  #fills: ReadonlyArray<Paint> | symbol
  #rotation = 0
  visible = true
  exportFails = false
  readonly exports: ExportSettingsImage[] = []

  constructor(world: FakeWorld, type: string, name: string, box: Box, fills: ReadonlyArray<Paint> = []) {
    super(world, name)
    this.type = type
    this.#x = box.x
    this.#y = box.y
    this.#width = box.width
    this.#height = box.height
    this.#fills = freezeFills(world, fills)
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

  get fills(): ReadonlyArray<Paint> | symbol {
    return this.#fills
  }
  set fills(value: ReadonlyArray<Paint> | symbol) {
    const next = freezeFills(this.world, value)
    const before = this.#fills
    this.world.record(() => (this.#fills = before))
    this.#fills = next
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

  /** Degrees, counter-clockwise about the top-left corner; x and y stay that corner's position. */
  get rotation(): number {
    return this.#rotation
  }
  set rotation(value: number) {
    const before = this.#rotation
    this.world.record(() => (this.#rotation = before))
    this.#rotation = value
  }

  get relativeTransform(): Matrix {
    const radians = (this.#rotation * Math.PI) / 180
    const [cos, sin] = [Math.cos(radians), Math.sin(radians)]
    return [
      [cos, sin, this.#x],
      [-sin, cos, this.#y]
    ]
  }

  get absoluteTransform(): Matrix {
    return this.parent instanceof FakeFrame ? multiply(this.parent.absoluteTransform, this.relativeTransform) : this.relativeTransform
  }

  /** The axis-aligned box around the node as it sits on the page (rotation included). */
  get absoluteBoundingBox(): Rect | null {
    const m = this.absoluteTransform
    const corners = [
      [0, 0],
      [this.#width, 0],
      [0, this.#height],
      [this.#width, this.#height]
    ].map(([u, v]) => [m[0][0] * u! + m[0][1] * v! + m[0][2], m[1][0] * u! + m[1][1] * v! + m[1][2]] as const)
    const xs = corners.map(([x]) => x)
    const ys = corners.map(([, y]) => y)
    const [left, top] = [Math.min(...xs), Math.min(...ys)]
    return { x: clean(left), y: clean(top), width: clean(Math.max(...xs) - left), height: clean(Math.max(...ys) - top) }
  }

  async exportAsync(settings: ExportSettingsImage): Promise<Uint8Array> {
    if (this.removed) throw new Error('The node with id has been deleted')
    this.exports.push(settings)
    if (this.exportFails) throw new Error('Failed to export node')
    if (settings.format !== 'PNG' && settings.format !== 'JPG') throw new Error(`unsupported format ${String(settings.format)}`)
    // A rotated node exports as its axis-aligned box on the page, so constraints scale that box.
    const box = this.absoluteBoundingBox ?? { x: 0, y: 0, width: this.#width, height: this.#height }
    const constraint = settings.constraint ?? { type: 'SCALE', value: 1 }
    const scale =
      constraint.type === 'SCALE'
        ? constraint.value
        : constraint.type === 'WIDTH'
          ? constraint.value / box.width
          : constraint.value / box.height
    const width = Math.max(1, Math.round(box.width * scale))
    const height = Math.max(1, Math.round(box.height * scale))
    const bytes = await this.world.platform.renderAsync({
      nodes: this.exportedNodes(),
      box,
      format: settings.format,
      width,
      height,
      imageBytes: (hash) => this.world.images.get(hash)
    })
    return this.world.intoSandboxRealm(bytes) as Uint8Array
  }

  /** What an export of this node draws: the node and what it contains (contentsOnly, Figma's default). */
  protected exportedNodes(): ReadonlyArray<FakeSceneNode> {
    return [this]
  }

  remove(): void {
    // A removed node's methods throw in Figma as its exportAsync does (removed: "check that the nodes haven't been removed").
    if (this.removed) throw new Error('The node with id has been deleted')
    this.world.detach(this)
  }
}

/**
 * A slice: invisible, page-level, and its export renders every visible layer of its page under
 * its rectangle (the header names the sources).
 */
export class FakeSlice extends FakeSceneNode implements PortSlice {
  /** The designer undoes while the export runs: the slice is gone before the export answers, and the export throws. */
  removedDuringExport = false

  constructor(world: FakeWorld) {
    super(world, 'SLICE', 'Slice', { x: 0, y: 0, width: 100, height: 100 }, [])
  }

  override async exportAsync(settings: ExportSettingsImage): Promise<Uint8Array> {
    if (this.removedDuringExport) this.world.detach(this)
    return super.exportAsync(settings)
  }

  protected override exportedNodes(): ReadonlyArray<FakeSceneNode> {
    let page: FakeParent | null = this.parent
    while (page instanceof FakeFrame) page = page.parent
    return page instanceof FakePage ? page.contents.filter((node) => node.type !== 'SLICE') : []
  }
}

export class FakeRectangle extends FakeSceneNode implements PortRectangle {
  constructor(world: FakeWorld, name = 'Rectangle', box: Box = { x: 0, y: 0, width: 100, height: 100 }) {
    super(world, 'RECTANGLE', name, box, [{ type: 'SOLID', color: { r: 0.85, g: 0.85, b: 0.85 } }])
  }
}

interface FindCriteria {
  types?: ReadonlyArray<string>
  pluginData?: { keys?: ReadonlyArray<string> }
}

/** Depth-first, in document order, as Figma's findAll walks (the container itself excluded). */
function descendants(container: { readonly children: ReadonlyArray<FakeSceneNode> }): FakeSceneNode[] {
  const found: FakeSceneNode[] = []
  const visit = (node: FakeSceneNode): void => {
    found.push(node)
    if (node instanceof FakeFrame) for (const child of node.children) visit(child)
  }
  for (const child of container.children) visit(child)
  return found
}

function matches(node: FakeSceneNode, criteria: FindCriteria): boolean {
  if (criteria.types !== undefined && !criteria.types.includes(node.type)) return false
  if (criteria.pluginData?.keys !== undefined && !criteria.pluginData.keys.some((key) => node.getPluginData(key) !== '')) return false
  return true
}

/** What holds layers: a frame by default, or a group, section, component (set) or instance. */
export type FakeContainerType = 'FRAME' | 'GROUP' | 'SECTION' | 'COMPONENT' | 'COMPONENT_SET' | 'INSTANCE'

export class FakeFrame extends FakeSceneNode {
  readonly children: FakeSceneNode[] = []
  layoutMode: 'NONE' | 'HORIZONTAL' | 'VERTICAL' = 'NONE'
  /** Undefined on a group, which has no such property in Figma. */
  clipsContent: boolean | undefined

  constructor(
    world: FakeWorld,
    name: string,
    box: Box,
    fills: ReadonlyArray<Paint> = [{ type: 'SOLID', color: { r: 1, g: 1, b: 1 } }],
    type: FakeContainerType = 'FRAME'
  ) {
    super(world, type, name, box, fills)
    this.clipsContent = type === 'GROUP' ? undefined : true
  }

  append(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
  appendChild(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
  findAll(callback: (node: FakeSceneNode) => boolean = () => true): FakeSceneNode[] {
    return descendants(this).filter(callback)
  }
  findOne(callback: (node: FakeSceneNode) => boolean): FakeSceneNode | null {
    return descendants(this).find(callback) ?? null
  }
  findChildren(callback: (node: FakeSceneNode) => boolean = () => true): FakeSceneNode[] {
    return this.children.filter(callback)
  }
  findAllWithCriteria(criteria: FindCriteria): FakeSceneNode[] {
    return descendants(this).filter((node) => matches(node, criteria))
  }
}

export interface FakeTextStyle {
  fontName?: FontName
  fontSize?: number
  fills?: ReadonlyArray<Paint>
}

/** A TEXT layer. Its characters, font and size can only be changed once its font is loaded. */
export class FakeText extends FakeSceneNode {
  #characters: string
  #fontName: FontName
  #fontSize: number

  constructor(world: FakeWorld, name: string, box: Box, characters = '', style: FakeTextStyle = {}) {
    super(world, 'TEXT', name, box, style.fills ?? [{ type: 'SOLID', color: { r: 0, g: 0, b: 0 } }])
    this.#characters = characters
    this.#fontName = style.fontName ?? { family: 'Inter', style: 'Regular' }
    this.#fontSize = style.fontSize ?? 12
  }

  get characters(): string {
    return this.#characters
  }
  set characters(value: string) {
    this.requireLoadedFont('set_characters', this.#fontName)
    const before = this.#characters
    this.world.record(() => (this.#characters = before))
    this.#characters = value
  }
  get fontName(): FontName {
    return this.#fontName
  }
  set fontName(value: FontName) {
    this.requireLoadedFont('set_fontName', value)
    const before = this.#fontName
    this.world.record(() => (this.#fontName = before))
    this.#fontName = { family: value.family, style: value.style }
  }
  get fontSize(): number {
    return this.#fontSize
  }
  set fontSize(value: number) {
    this.requireLoadedFont('set_fontSize', this.#fontName)
    if (!(value >= 1)) throw new Error('in set_fontSize: fontSize must be >= 1')
    const before = this.#fontSize
    this.world.record(() => (this.#fontSize = before))
    this.#fontSize = value
  }

  /** One segment for the whole text: the fake has no per-range styles. */
  getStyledTextSegments(
    fields: ReadonlyArray<'fontName' | 'fontSize' | 'fills'>
  ): Array<{ characters: string; start: number; end: number; fontName?: FontName; fontSize?: number; fills?: ReadonlyArray<Paint> }> {
    const segment: {
      characters: string
      start: number
      end: number
      fontName?: FontName
      fontSize?: number
      fills?: ReadonlyArray<Paint>
    } = {
      characters: this.#characters,
      start: 0,
      end: this.#characters.length
    }
    if (fields.includes('fontName')) segment.fontName = this.#fontName
    if (fields.includes('fontSize')) segment.fontSize = this.#fontSize
    if (fields.includes('fills') && typeof this.fills !== 'symbol') segment.fills = this.fills
    return this.#characters === '' ? [] : [segment]
  }

  private requireLoadedFont(operation: string, font: FontName): void {
    if (!this.world.fontLoaded(font)) {
      throw new Error(
        `in ${operation}: Cannot write to node with unloaded font "${font.family} ${font.style}". Please call figma.loadFontAsync({ family: "${font.family}", style: "${font.style}" }) and await the returned promise first.`
      )
    }
  }
}

export class FakePage extends FakeBaseNode implements PortPage<FakeSceneNode> {
  readonly type = 'PAGE'
  declare parent: FakeDocument | null
  /** The page's layers, for the fake's own bookkeeping and tests; plugin code reads `children`. */
  readonly contents: FakeSceneNode[] = []
  /** Under documentAccess "dynamic-page", only loaded pages' children can be read. */
  loaded: boolean
  #selection: ReadonlyArray<FakeSceneNode> = []

  constructor(world: FakeWorld, name: string, loaded: boolean) {
    super(world, name)
    this.loaded = loaded
  }

  get children(): FakeSceneNode[] {
    if (!this.loaded)
      throw new Error(
        `in get_children: page "${this.name}" is not loaded. Call "await page.loadAsync()" before reading its children (documentAccess: "dynamic-page").`
      )
    return this.contents
  }

  async loadAsync(): Promise<void> {
    await Promise.resolve()
    this.loaded = true
  }

  get selection(): ReadonlyArray<FakeSceneNode> {
    return this.#selection
  }
  set selection(nodes: ReadonlyArray<FakeSceneNode>) {
    for (const node of nodes) {
      let page: FakeParent | null = node.parent
      while (page instanceof FakeFrame) page = page.parent
      if (page instanceof FakePage && page !== this)
        throw new Error('in set_selection: The selection of a page can only include nodes in that page')
    }
    this.#selection = [...nodes]
    this.world.selectionSetByPlugin(this)
  }
  /** Sets the selection as the designer does (no event here; FakeFigma.select fires it). */
  selectSilently(nodes: ReadonlyArray<FakeSceneNode>): void {
    this.#selection = [...nodes]
  }

  append(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
  appendChild(child: FakeSceneNode): void {
    this.world.attach(this, child)
  }
  findAll(callback: (node: FakeSceneNode) => boolean = () => true): FakeSceneNode[] {
    return descendants(this).filter(callback)
  }
  findOne(callback: (node: FakeSceneNode) => boolean): FakeSceneNode | null {
    return descendants(this).find(callback) ?? null
  }
  findChildren(callback: (node: FakeSceneNode) => boolean = () => true): FakeSceneNode[] {
    return this.children.filter(callback)
  }
  findAllWithCriteria(criteria: FindCriteria): FakeSceneNode[] {
    return descendants(this).filter((node) => matches(node, criteria))
  }
}

/** figma.root: the file. Its plugin data is file-wide; its children are the pages. */
export class FakeDocument extends FakeBaseNode {
  readonly type = 'DOCUMENT'
  readonly children: FakePage[] = []
}

class FakeWorld {
  readonly nodes = new Map<string, FakeBaseNode>()
  readonly images = new Map<string, Uint8Array>()
  readonly loadedFonts: FontName[] = []
  /** Changes since the last commitUndo, newest last; each entry reverts one change. */
  open: Change[] = []
  readonly committed: Change[][] = []
  selectionSetByPlugin: (page: FakePage) => void = () => undefined

  constructor(
    readonly platform: FakeFigmaPlatform,
    readonly relaunchCommands: ReadonlyArray<string> | undefined,
    readonly intoSandboxRealm: (value: unknown) => unknown
  ) {}

  record(change: Change): void {
    this.open.push(change)
  }

  fontLoaded(font: FontName): boolean {
    return this.loadedFonts.some((loaded) => loaded.family === font.family && loaded.style === font.style)
  }

  attach(parent: FakeContainer, child: FakeSceneNode): void {
    this.detach(child)
    const siblings = childrenOf(parent)
    siblings.push(child)
    child.parent = parent
    child.removed = false
    this.record(() => {
      siblings.splice(siblings.indexOf(child), 1)
      child.parent = null
      child.removed = true
    })
  }

  detach(child: FakeSceneNode): void {
    const parent = child.parent
    if (parent === null) return
    const siblings = childrenOf(parent)
    const index = siblings.indexOf(child)
    siblings.splice(index, 1)
    child.parent = null
    child.removed = true
    this.record(() => {
      siblings.splice(index, 0, child)
      child.parent = parent
      child.removed = false
    })
  }
}

type ArgFreeEvent = 'selectionchange' | 'currentpagechange' | 'close'
type FakeEvent = ArgFreeEvent | 'run'
type FakeEventHandler = (event?: RunEvent) => void

export interface FakeUiState {
  /** showUI was called and the UI is not closed. */
  open: boolean
  visible: boolean
  width: number
  height: number
  html: string | undefined
  options: ShowUIOptions | undefined
}

export interface FakeUi {
  postMessage(pluginMessage: unknown, options?: UIPostMessageOptions): void
  on(type: 'message', handler: MessageEventHandler): void
  once(type: 'message', handler: MessageEventHandler): void
  off(type: 'message', handler: MessageEventHandler): void
  onmessage: MessageEventHandler | undefined
  show(): void
  hide(): void
  resize(width: number, height: number): void
  close(): void
  /** The fake's record of the UI window. */
  readonly state: FakeUiState
}

/** What the quick action's input handlers answered for one query. */
export interface FakeParameterAnswer {
  suggestions: Array<string | { name: string; data?: unknown; icon?: string | Uint8Array; iconUrl?: string }> | undefined
  error: string | undefined
  loadingMessage: string | undefined
}

/** A plain, serializable picture of a node (for expectations, and across the browser boundary). */
export interface FakeNodeSnapshot {
  id: string
  type: string
  name: string
  x: number
  y: number
  width: number
  height: number
  visible: boolean
  fills: Array<{ type: string; color?: RGB; opacity?: number; imageHash?: string | null; scaleMode?: string }> | 'mixed'
  characters?: string
  pluginData: Record<string, string>
  relaunchData: Record<string, string>
  /** The relaunch buttons Figma shows (commands the manifest lists). */
  relaunchButtons: string[]
  children?: FakeNodeSnapshot[]
}

export interface FakeFigmaSnapshot {
  page: string
  selection: string[]
  nodes: FakeNodeSnapshot[]
  rootPluginData: Record<string, string>
  notifications: string[]
  closed: boolean
  closeMessage: string | undefined
}

export interface FakeFigma extends FigmaPort<FakeSceneNode, FakeRectangle, FakePage, FakeSlice> {
  currentPage: FakePage
  readonly root: FakeDocument
  readonly pages: FakePage[]
  /** The menu command the plugin was launched with ('' when none), as in Figma. */
  readonly command: string
  readonly mixed: symbol
  readonly parameters: ParametersAPI
  readonly ui: FakeUi
  readonly notifications: Array<{ message: string; options: NotificationOptions | undefined }>
  readonly storage: Map<string, unknown>
  readonly scrolledTo: FakeSceneNode[][]
  readonly undoCommits: number
  readonly loadedFonts: ReadonlyArray<FontName>
  /** True once closePlugin was called (Figma's APIs then throw, and events and messages stop); closeMessage is what it showed. */
  readonly closed: boolean
  readonly closeMessage: string | undefined
  on(type: ArgFreeEvent, handler: () => void): void
  on(type: 'run', handler: (event: RunEvent) => void): void
  once(type: ArgFreeEvent, handler: () => void): void
  once(type: 'run', handler: (event: RunEvent) => void): void
  off(type: ArgFreeEvent, handler: () => void): void
  off(type: 'run', handler: (event: RunEvent) => void): void
  showUI(html: string, options?: ShowUIOptions): void
  closePlugin(message?: string): void
  loadFontAsync(font: FontNameInput): Promise<void>
  createText(): FakeText
  createFrame(): FakeFrame
  addPage(name: string): FakePage
  frame(name: string, box: Box, parent?: FakeContainer, fills?: ReadonlyArray<Paint>): FakeFrame
  /** A container of another type; a group gets no fills. */
  container(type: FakeContainerType, name: string, box: Box, parent?: FakeContainer): FakeFrame
  /** Every slice createSlice made, removed or not. */
  readonly slices: ReadonlyArray<FakeSlice>
  /** Makes every slice createSlice makes from now on fail to export. */
  sliceExportsFail: boolean
  /** Makes every slice createSlice makes from now on be removed (an undo) while it exports. */
  slicesRemovedDuringExport: boolean
  createSlice(): FakeSlice
  rectangle(name: string, box: Box, parent?: FakeContainer): FakeRectangle
  text(name: string, box: Box, characters: string, parent?: FakeContainer, style?: FakeTextStyle): FakeText
  select(nodes: FakeSceneNode[]): void
  /** What Cmd/Ctrl+Z does: reverts everything back to the last commitUndo. */
  undo(): void
  imageBytes(hash: string): Uint8Array | undefined
  /** Messages the sandbox posted to the UI, after structured cloning. */
  readonly toUi: unknown[]
  /** Messages the UI posted to the sandbox. */
  readonly fromUi: unknown[]
  onUiMessage(listener: (message: unknown) => void): () => void
  /** Sends a message from the UI to the sandbox, as parent.postMessage would. */
  sendFromUi(message: unknown): void
  /** Fires 'run' as Figma does once the plugin's code has run (with the launch's command and parameters). */
  dispatchRun(launch?: { command?: string; parameters?: ParameterValues }): void
  /** Types `query` into the quick action's parameter `key`; resolves with what the input handlers answered. */
  inputParameterAsync(input: { key: string; query: string; parameters?: ParameterValues }): Promise<FakeParameterAnswer>
  /** Resolves when every message and event queued so far has been delivered. */
  flushAsync(): Promise<void>
  snapshot(page?: FakePage): FakeFigmaSnapshot
}

function byteLengthOf(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  return JSON.stringify(value ?? null).length
}

function snapshotOf(node: FakeSceneNode): FakeNodeSnapshot {
  const fills = node.fills
  return {
    id: node.id,
    type: node.type,
    name: node.name,
    x: node.x,
    y: node.y,
    width: node.width,
    height: node.height,
    visible: node.visible,
    fills:
      typeof fills === 'symbol'
        ? 'mixed'
        : fills.map((paint) =>
            paint.type === 'SOLID'
              ? { type: paint.type, color: { ...paint.color }, opacity: paint.opacity }
              : paint.type === 'IMAGE'
                ? { type: paint.type, imageHash: paint.imageHash, scaleMode: paint.scaleMode }
                : { type: paint.type }
          ),
    ...(node instanceof FakeText ? { characters: node.characters } : {}),
    pluginData: Object.fromEntries(node.pluginData),
    relaunchData: node.getRelaunchData(),
    relaunchButtons: node.shownRelaunchButtons(),
    ...(node instanceof FakeFrame ? { children: node.children.map(snapshotOf) } : {})
  }
}

export function createFakeFigma(options: FakeFigmaOptions = {}): FakeFigma {
  const platform = options.platform ?? nodePlatform
  const intoSandboxRealm = options.intoSandboxRealm ?? ((value: unknown) => value)
  const world = new FakeWorld(
    platform,
    options.manifest?.relaunchButtons?.map((button) => button.command),
    intoSandboxRealm
  )
  const root = new FakeDocument(world, 'Document')
  // The page open when the plugin starts is loaded; pages added with addPage are not (dynamic-page).
  const firstPage = new FakePage(world, 'Page 1', true)
  const pages = root.children
  pages.push(firstPage)
  firstPage.parent = root
  const handlers = new Map<FakeEvent, Set<FakeEventHandler>>()
  const onceHandlers = new Set<FakeEventHandler>()
  const sandboxListeners = new Set<MessageEventHandler>()
  const sandboxOnce = new Set<MessageEventHandler>()
  const parameterListeners = new Set<(event: ParameterInputEvent) => void>()
  const parameterOnce = new Set<(event: ParameterInputEvent) => void>()
  const uiListeners = new Set<(message: unknown) => void>()
  const pending = new Set<Promise<void>>()
  const slices: FakeSlice[] = []
  let commits = 0
  let command = options.command ?? ''
  let parameters = options.parameters
  let closed = false
  let closeMessage: string | undefined
  const uiState: FakeUiState = { open: false, visible: false, width: 0, height: 0, html: undefined, options: undefined }

  function deliver(run: () => void): void {
    const delivery = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(run)
    pending.add(delivery)
    void delivery.finally(() => pending.delete(delivery))
  }

  function handlersFor(type: FakeEvent): Set<FakeEventHandler> {
    let set = handlers.get(type)
    if (set === undefined) handlers.set(type, (set = new Set()))
    return set
  }

  function emit(type: FakeEvent, event?: RunEvent): void {
    if (closed && type !== 'close') return
    for (const handler of [...handlersFor(type)]) {
      if (onceHandlers.delete(handler)) handlersFor(type).delete(handler)
      handler(event)
    }
  }

  function ensureOpen(operation: string): void {
    if (closed) throw new Error(`in ${operation}: The plugin has been closed (figma.closePlugin was called)`)
  }

  function receiveFromUi(message: unknown): void {
    if (closed) return
    figma.fromUi.push(message)
    const props: OnMessageProperties = { origin: 'null' }
    for (const handler of [...sandboxListeners]) {
      if (sandboxOnce.delete(handler)) sandboxListeners.delete(handler)
      handler(message, props)
    }
    figma.ui.onmessage?.(message, props)
  }

  world.selectionSetByPlugin = (page) => {
    if (options.selectionEventsFromPlugin === true && page === figma.currentPage) deliver(() => emit('selectionchange'))
  }

  function place(node: FakeSceneNode, parent: FakeContainer | undefined): void {
    const target = parent ?? figma.currentPage
    childrenOf(target).push(node)
    node.parent = target
  }

  function fontOf(input: FontNameInput): FontName {
    return { family: input.family, style: input.style ?? 'Regular' }
  }

  const ui: FakeUi = {
    state: uiState,
    onmessage: undefined,
    postMessage(message) {
      ensureOpen('ui.postMessage')
      const copy = structuredClone(message)
      deliver(() => {
        figma.toUi.push(copy)
        for (const listener of uiListeners) listener(copy)
        if (uiState.open) platform.ui?.post(copy)
      })
    },
    on(_type, handler) {
      sandboxListeners.add(handler)
    },
    once(_type, handler) {
      sandboxListeners.add(handler)
      sandboxOnce.add(handler)
    },
    off(_type, handler) {
      sandboxListeners.delete(handler)
      sandboxOnce.delete(handler)
    },
    show() {
      uiState.visible = true
      platform.ui?.setVisible(true)
    },
    hide() {
      uiState.visible = false
      platform.ui?.setVisible(false)
    },
    resize(width, height) {
      uiState.width = width
      uiState.height = height
      platform.ui?.resize(width, height)
    },
    close() {
      if (!uiState.open) return
      uiState.open = false
      uiState.visible = false
      platform.ui?.close()
    }
  }

  const parametersApi: ParametersAPI = {
    on(_type, callback) {
      parameterListeners.add(callback)
    },
    once(_type, callback) {
      parameterListeners.add(callback)
      parameterOnce.add(callback)
    },
    off(_type, callback) {
      parameterListeners.delete(callback)
      parameterOnce.delete(callback)
    }
  }

  const figma: FakeFigma = {
    currentPage: firstPage,
    root,
    pages,
    mixed: Symbol('figma.mixed'),
    get command() {
      return command
    },
    parameters: parametersApi,
    ui,
    notifications: [],
    storage: new Map(),
    scrolledTo: [],
    toUi: [],
    fromUi: [],
    get undoCommits() {
      return commits
    },
    get loadedFonts() {
      return world.loadedFonts
    },
    get closed() {
      return closed
    },
    get closeMessage() {
      return closeMessage
    },
    viewport: {
      center: { x: 600, y: 400 },
      scrollAndZoomIntoView(nodes) {
        figma.scrolledTo.push([...nodes])
      }
    },
    clientStorage: {
      async getAsync(key) {
        ensureOpen('clientStorage.getAsync')
        return intoSandboxRealm(structuredClone(figma.storage.get(key)))
      },
      async setAsync(key, value) {
        ensureOpen('clientStorage.setAsync')
        const next = new Map(figma.storage)
        next.set(key, structuredClone(value))
        const total = [...next].reduce((sum, [k, v]) => sum + k.length + byteLengthOf(v), 0)
        if (total > CLIENT_STORAGE_BYTES) throw new Error('clientStorage: quota of 5 MB exceeded')
        figma.storage.set(key, structuredClone(value))
      }
    },
    on(type: FakeEvent, handler: (event: RunEvent) => void) {
      handlersFor(type).add(handler as FakeEventHandler)
    },
    once(type: FakeEvent, handler: (event: RunEvent) => void) {
      handlersFor(type).add(handler as FakeEventHandler)
      onceHandlers.add(handler as FakeEventHandler)
    },
    off(type: FakeEvent, handler: (event: RunEvent) => void) {
      handlersFor(type).delete(handler as FakeEventHandler)
      onceHandlers.delete(handler as FakeEventHandler)
    },
    showUI(html, showOptions = {}) {
      ensureOpen('showUI')
      if (typeof html !== 'string') throw new Error('in showUI: html must be a string')
      Object.assign(uiState, {
        open: true,
        visible: showOptions.visible ?? true,
        // Figma's defaults.
        width: showOptions.width ?? 300,
        height: showOptions.height ?? 200,
        html,
        options: { ...showOptions }
      })
      platform.ui?.open(html, { ...showOptions }, receiveFromUi)
    },
    closePlugin(message) {
      if (closed) return
      emit('close')
      closed = true
      closeMessage = message
      ui.close()
    },
    async loadFontAsync(input) {
      ensureOpen('loadFontAsync')
      const font = fontOf(input)
      await Promise.resolve()
      if (!world.fontLoaded(font)) world.loadedFonts.push(font)
    },
    async getNodeByIdAsync(id) {
      ensureOpen('getNodeByIdAsync')
      const node = world.nodes.get(id)
      return node === undefined || node.removed ? null : node
    },
    async setCurrentPageAsync(page) {
      ensureOpen('setCurrentPageAsync')
      await page.loadAsync()
      figma.currentPage = page
      emit('currentpagechange')
    },
    createRectangle() {
      ensureOpen('createRectangle')
      const rect = new FakeRectangle(world)
      world.attach(figma.currentPage, rect)
      return rect
    },
    slices,
    sliceExportsFail: false,
    slicesRemovedDuringExport: false,
    createSlice() {
      ensureOpen('createSlice')
      const slice = new FakeSlice(world)
      slice.exportFails = figma.sliceExportsFail
      slice.removedDuringExport = figma.slicesRemovedDuringExport
      world.attach(figma.currentPage, slice)
      slices.push(slice)
      return slice
    },
    createFrame() {
      ensureOpen('createFrame')
      const frame = new FakeFrame(world, 'Frame', { x: 0, y: 0, width: 100, height: 100 })
      world.attach(figma.currentPage, frame)
      return frame
    },
    createText() {
      ensureOpen('createText')
      const text = new FakeText(world, 'Text', { x: 0, y: 0, width: 0, height: 14 })
      world.attach(figma.currentPage, text)
      return text
    },
    createImage(bytes) {
      ensureOpen('createImage')
      const size = platform.sniffImage(bytes)
      if (size === undefined || !['png', 'jpg', 'gif'].includes(size.type)) throw new Error('Image type is unsupported')
      if (size.width > CREATE_IMAGE_MAX_SIDE || size.height > CREATE_IMAGE_MAX_SIDE) {
        throw new Error(`Image is too large (${size.width}x${size.height}); the maximum is 4096x4096`)
      }
      const hash = platform.hashImage(bytes)
      world.images.set(hash, new Uint8Array(bytes))
      return { hash }
    },
    commitUndo() {
      ensureOpen('commitUndo')
      commits += 1
      if (world.open.length > 0) world.committed.push(world.open)
      world.open = []
    },
    notify(message, notifyOptions) {
      ensureOpen('notify')
      figma.notifications.push({ message: message.slice(0, 100), options: notifyOptions })
      return { cancel: () => undefined }
    },
    addPage(name) {
      const page = new FakePage(world, name, false)
      pages.push(page)
      page.parent = root
      return page
    },
    frame(name, box, parent, fills) {
      const frame = new FakeFrame(world, name, box, fills)
      place(frame, parent)
      return frame
    },
    container(type, name, box, parent) {
      const node = new FakeFrame(world, name, box, type === 'GROUP' ? [] : undefined, type)
      place(node, parent)
      return node
    },
    rectangle(name, box, parent) {
      const rect = new FakeRectangle(world, name, box)
      place(rect, parent)
      return rect
    },
    text(name, box, characters, parent, style) {
      const text = new FakeText(world, name, box, characters, style)
      place(text, parent)
      return text
    },
    select(nodes) {
      figma.currentPage.selectSilently(nodes)
      emit('selectionchange')
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
      const copy = intoSandboxRealm(structuredClone(message))
      deliver(() => receiveFromUi(copy))
    },
    dispatchRun(launch = {}) {
      if (launch.command !== undefined) command = launch.command
      if ('parameters' in launch) parameters = launch.parameters
      const event: RunParametersEvent = { command, parameters }
      deliver(() => emit('run', event))
    },
    async inputParameterAsync({ key, query, parameters: given = {} }) {
      const answer: FakeParameterAnswer = { suggestions: undefined, error: undefined, loadingMessage: undefined }
      let answered = (): void => undefined
      const done = new Promise<void>((resolve) => (answered = resolve))
      const result: SuggestionResults = {
        setSuggestions(suggestions) {
          answer.suggestions = structuredClone(suggestions)
          answered()
        },
        setError(message) {
          answer.error = message
          answered()
        },
        setLoadingMessage(message) {
          answer.loadingMessage = message
        }
      }
      for (const listener of [...parameterListeners]) {
        if (parameterOnce.delete(listener)) parameterListeners.delete(listener)
        listener({ key, query, parameters: given, result })
      }
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))])
      return answer
    },
    async flushAsync() {
      for (let round = 0; round < 50 && pending.size > 0; round += 1) {
        await Promise.all([...pending])
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
    },
    snapshot(page = figma.currentPage) {
      return {
        page: page.name,
        selection: page.selection.map((node) => node.id),
        nodes: page.contents.map(snapshotOf),
        rootPluginData: Object.fromEntries(root.pluginData),
        notifications: figma.notifications.map((notification) => notification.message),
        closed,
        closeMessage
      }
    }
  }
  return figma
}
