import { FakeFrame, FakeRectangle, FakeText, type FakeRenderRequest, type FakeSceneNode } from '../../fakes/fake-figma'

/**
 * Draws fake Figma nodes on a 2D canvas, in design coordinates (the caller sets the transform):
 * solid and image fills, text layers' characters in their font size and colour, and children
 * clipped to their frame. A shape with nothing else in it shows its name, so an exported frame is
 * recognisable in a screenshot or in what the relay receives.
 */
export type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D

export type BitmapCache = Map<string, Promise<ImageBitmap | undefined>>

function imageHashes(node: FakeSceneNode, into: Set<string>): Set<string> {
  const fills = node.fills
  if (typeof fills !== 'symbol')
    for (const paint of fills) if (paint.type === 'IMAGE' && paint.imageHash !== null) into.add(paint.imageHash)
  if (node instanceof FakeFrame) for (const child of node.children) imageHashes(child, into)
  return into
}

/** Decodes every image the nodes' fills use (cached by hash), so drawing can be synchronous. */
export async function loadBitmapsAsync(
  nodes: ReadonlyArray<FakeSceneNode>,
  imageBytes: (hash: string) => Uint8Array | undefined,
  cache: BitmapCache
): Promise<Map<string, ImageBitmap>> {
  const hashes = new Set<string>()
  for (const node of nodes) imageHashes(node, hashes)
  const bitmaps = new Map<string, ImageBitmap>()
  for (const hash of hashes) {
    let decoding = cache.get(hash)
    if (decoding === undefined) {
      const bytes = imageBytes(hash)
      decoding =
        bytes === undefined ? Promise.resolve(undefined) : createImageBitmap(new Blob([new Uint8Array(bytes)])).catch(() => undefined)
      cache.set(hash, decoding)
    }
    const bitmap = await decoding
    if (bitmap !== undefined) bitmaps.set(hash, bitmap)
  }
  return bitmaps
}

function css(color: RGB, opacity = 1): string {
  return `rgba(${Math.round(color.r * 255)}, ${Math.round(color.g * 255)}, ${Math.round(color.b * 255)}, ${opacity})`
}

function firstSolid(node: FakeSceneNode): SolidPaint | undefined {
  const fills = node.fills
  if (typeof fills === 'symbol') return undefined
  return fills.find((paint): paint is SolidPaint => paint.type === 'SOLID' && paint.visible !== false)
}

function contrastingInk(node: FakeSceneNode): string {
  const solid = firstSolid(node)
  if (solid === undefined) return 'rgba(0, 0, 0, 0.75)'
  const { r, g, b } = solid.color
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? 'rgba(0, 0, 0, 0.75)' : 'rgba(255, 255, 255, 0.9)'
}

function drawImage(ctx: Context2D, bitmap: ImageBitmap, box: Rect, scaleMode: ImagePaint['scaleMode']): void {
  if (scaleMode === 'FILL' || scaleMode === 'FIT') {
    const scale =
      scaleMode === 'FILL'
        ? Math.max(box.width / bitmap.width, box.height / bitmap.height)
        : Math.min(box.width / bitmap.width, box.height / bitmap.height)
    const [w, h] = [bitmap.width * scale, bitmap.height * scale]
    ctx.save()
    ctx.beginPath()
    ctx.rect(box.x, box.y, box.width, box.height)
    ctx.clip()
    ctx.drawImage(bitmap, box.x + (box.width - w) / 2, box.y + (box.height - h) / 2, w, h)
    ctx.restore()
  } else {
    ctx.drawImage(bitmap, box.x, box.y, box.width, box.height)
  }
}

function fontWeight(style: string): number {
  const lower = style.toLowerCase()
  if (lower.includes('black')) return 900
  if (lower.includes('extra bold')) return 800
  if (lower.includes('semi bold') || lower.includes('semibold')) return 600
  if (lower.includes('bold')) return 700
  if (lower.includes('medium')) return 500
  if (lower.includes('light')) return 300
  return 400
}

function drawText(ctx: Context2D, node: FakeText, box: Rect): void {
  const solid = firstSolid(node)
  const italic = node.fontName.style.toLowerCase().includes('italic') ? 'italic ' : ''
  ctx.font = `${italic}${fontWeight(node.fontName.style)} ${node.fontSize}px "${node.fontName.family}", system-ui, sans-serif`
  ctx.fillStyle = solid === undefined ? '#000' : css(solid.color, solid.opacity ?? 1)
  ctx.textBaseline = 'top'
  const lineHeight = node.fontSize * 1.2
  const lines: string[] = []
  for (const paragraph of node.characters.split('\n')) {
    let line = ''
    for (const word of paragraph.split(' ')) {
      const candidate = line === '' ? word : `${line} ${word}`
      if (line !== '' && box.width > 0 && ctx.measureText(candidate).width > box.width) {
        lines.push(line)
        line = word
      } else line = candidate
    }
    lines.push(line)
  }
  lines.forEach((line, index) => ctx.fillText(line, box.x, box.y + index * lineHeight + (lineHeight - node.fontSize) / 2))
}

/** The node's name across its middle, for a shape with nothing else to show. */
function drawLabel(ctx: Context2D, node: FakeSceneNode, box: Rect): void {
  const size = Math.max(6, Math.min(box.height * 0.09, (box.width * 1.6) / Math.max(8, node.name.length)))
  ctx.fillStyle = contrastingInk(node)
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  ctx.font = `600 ${size}px system-ui, sans-serif`
  ctx.fillText(node.name, box.x + box.width / 2, box.y + box.height / 2 - size * 0.4, box.width * 0.9)
  ctx.font = `400 ${size * 0.5}px system-ui, sans-serif`
  ctx.fillText(
    `${Math.round(box.width)} × ${Math.round(box.height)}`,
    box.x + box.width / 2,
    box.y + box.height / 2 + size * 0.55,
    box.width * 0.9
  )
  ctx.textAlign = 'start'
}

/** Draws `node` and what it contains at their absolute positions. */
export function drawNode(ctx: Context2D, node: FakeSceneNode, bitmaps: ReadonlyMap<string, ImageBitmap>): void {
  // A slice is invisible: it only marks what to export.
  if (!node.visible || node.type === 'SLICE') return
  const box = node.absoluteBoundingBox
  if (box === null) return
  const fills = node.fills
  let hasImage = false
  if (node instanceof FakeText) drawText(ctx, node, box)
  else if (typeof fills !== 'symbol') {
    for (const paint of fills) {
      if (paint.visible === false) continue
      if (paint.type === 'SOLID') {
        ctx.fillStyle = css(paint.color, paint.opacity ?? 1)
        ctx.fillRect(box.x, box.y, box.width, box.height)
      } else if (paint.type === 'IMAGE' && paint.imageHash !== null) {
        const bitmap = bitmaps.get(paint.imageHash)
        if (bitmap !== undefined) {
          drawImage(ctx, bitmap, box, paint.scaleMode)
          hasImage = true
        }
      }
    }
  }
  if (node instanceof FakeFrame && node.children.length > 0) {
    ctx.save()
    if (node.clipsContent) {
      ctx.beginPath()
      ctx.rect(box.x, box.y, box.width, box.height)
      ctx.clip()
    }
    for (const child of node.children) drawNode(ctx, child, bitmaps)
    ctx.restore()
  } else if (!hasImage && (node instanceof FakeFrame || node instanceof FakeRectangle)) {
    drawLabel(ctx, node, box)
  }
}

/**
 * What exportAsync returns: `nodes` (a node alone, or a slice's page layers) drawn at their page
 * positions, with `box` scaled to exactly width×height pixels.
 */
export async function renderNodesAsync(request: FakeRenderRequest, cache: BitmapCache): Promise<Uint8Array> {
  const { nodes, box, format, width, height, imageBytes } = request
  const bitmaps = await loadBitmapsAsync(nodes, imageBytes, cache)
  const canvas = new OffscreenCanvas(width, height)
  const ctx = canvas.getContext('2d')
  if (ctx === null) throw new Error('OffscreenCanvas has no 2D context')
  // JPEG has no alpha: Figma exports it on white.
  if (format === 'JPG') {
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, width, height)
  }
  ctx.setTransform(width / box.width, 0, 0, height / box.height, (-box.x * width) / box.width, (-box.y * height) / box.height)
  for (const node of nodes) drawNode(ctx, node, bitmaps)
  const blob = await canvas.convertToBlob({ type: format === 'PNG' ? 'image/png' : 'image/jpeg', quality: 0.9 })
  return new Uint8Array(await blob.arrayBuffer())
}
