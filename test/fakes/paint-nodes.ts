import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

/**
 * The Node platform's picture of fake Figma layers: each visible layer's box filled with a colour
 * from its first visible fill (an IMAGE fill gets one from its image hash, mixed fills from the
 * layer's id; a layer without fills paints nothing of its own), drawn
 * in paint order, children on top and cut to a frame that clips its content. Every pixel depends
 * only on the page point under its centre, with a page-space pattern over each colour (x and y
 * modulo 64 design px), so a slice over part of a frame at scale s shows exactly that part of the
 * frame's export at scale s (up to the rounding of the box's edges to pixels), and an area shifted
 * by a pixel does not match. Rotated layers paint their axis-aligned box, as the fake exports it.
 */
export interface PaintableNode {
  readonly id: string
  readonly type: string
  readonly visible: boolean
  readonly absoluteBoundingBox: Rect | null
  readonly fills: ReadonlyArray<Paint> | symbol
  readonly children?: ReadonlyArray<PaintableNode>
  readonly clipsContent?: boolean
}

export interface PaintRequest {
  /** Bottom first; each with what it contains. */
  nodes: ReadonlyArray<PaintableNode>
  /** The page-space rectangle the image shows. */
  box: Rect
  width: number
  height: number
}

type Box = { x: number; y: number; width: number; height: number }
type Colour = { r: number; g: number; b: number; a: number }

function intersect(a: Box, b: Box | undefined): Box | undefined {
  if (b === undefined) return a
  const x = Math.max(a.x, b.x)
  const y = Math.max(a.y, b.y)
  const width = Math.min(a.x + a.width, b.x + b.width) - x
  const height = Math.min(a.y + a.height, b.y + b.height) - y
  return width > 0 && height > 0 ? { x, y, width, height } : undefined
}

function hashColour(text: string, alpha: number): Colour {
  let hash = 2166136261
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0
  return { r: (hash & 0xff) / 255, g: ((hash >>> 8) & 0xff) / 255, b: ((hash >>> 16) & 0xff) / 255, a: alpha }
}

/** The colour a layer paints its box with, or undefined when it paints nothing of its own. */
export function colourOf(node: PaintableNode): Colour | undefined {
  const fills = node.fills
  if (typeof fills === 'symbol') return hashColour(node.id, 1)
  const paint = fills.find((fill) => fill.visible !== false)
  if (paint === undefined) return undefined
  const opacity = paint.opacity ?? 1
  if (paint.type === 'SOLID') return { ...paint.color, a: opacity }
  if (paint.type === 'IMAGE') return hashColour(paint.imageHash ?? node.id, opacity)
  return hashColour(`${paint.type}${node.id}`, opacity)
}

function paintBox(data: Uint8Array, request: PaintRequest, area: Box, colour: Colour): void {
  const { box, width, height } = request
  const [sx, sy] = [width / box.width, height / box.height]
  // Pixels whose centre lies in the area: centre = box.x + (px + 0.5) / sx.
  const fromX = Math.max(0, Math.ceil((area.x - box.x) * sx - 0.5))
  const toX = Math.min(width, Math.ceil((area.x + area.width - box.x) * sx - 0.5))
  const fromY = Math.max(0, Math.ceil((area.y - box.y) * sy - 0.5))
  const toY = Math.min(height, Math.ceil((area.y + area.height - box.y) * sy - 0.5))
  const alpha = colour.a
  for (let py = fromY; py < toY; py += 1) {
    const pageY = Math.floor(box.y + (py + 0.5) / sy)
    for (let px = fromX; px < toX; px += 1) {
      const pageX = Math.floor(box.x + (px + 0.5) / sx)
      const i = (py * width + px) * 4
      const rgb = [colour.r * 191 + (pageX & 63), colour.g * 191 + (pageY & 63), colour.b * 191 + ((pageX + pageY) & 63)]
      const below = data[i + 3]! / 255
      const out = alpha + below * (1 - alpha)
      for (let c = 0; c < 3; c += 1) {
        data[i + c] = out === 0 ? 0 : Math.round((rgb[c]! * alpha + data[i + c]! * below * (1 - alpha)) / out)
      }
      data[i + 3] = Math.round(out * 255)
    }
  }
}

function paintNode(data: Uint8Array, request: PaintRequest, node: PaintableNode, clip: Box | undefined): void {
  if (!node.visible || node.type === 'SLICE' || node.absoluteBoundingBox === null) return
  const own = intersect(node.absoluteBoundingBox, clip)
  const colour = colourOf(node)
  if (own !== undefined && colour !== undefined) paintBox(data, request, own, colour)
  const inner = node.clipsContent === true ? own : clip
  if (node.clipsContent === true && inner === undefined) return
  for (const child of node.children ?? []) paintNode(data, request, child, inner)
}

/** RGBA pixels, not premultiplied, transparent where nothing is drawn. */
export function paintNodes(request: PaintRequest): Uint8Array {
  const data = new Uint8Array(request.width * request.height * 4)
  for (const node of request.nodes) paintNode(data, request, node, undefined)
  return data
}

export function encodePainted(request: PaintRequest, format: 'PNG' | 'JPG'): Uint8Array {
  const data = paintNodes(request)
  const { width, height } = request
  if (format === 'PNG') {
    const png = new PNG({ width, height })
    png.data.set(data)
    return new Uint8Array(PNG.sync.write(png))
  }
  // JPEG has no alpha: Figma exports it on white.
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3]! / 255
    for (let c = 0; c < 3; c += 1) data[i + c] = Math.round(data[i + c]! * alpha + 255 * (1 - alpha))
    data[i + 3] = 255
  }
  return new Uint8Array(jpeg.encode({ data, width, height }, 90).data)
}
