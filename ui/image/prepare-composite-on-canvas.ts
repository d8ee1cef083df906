import { cropRgba } from '../../shared/area/crop-rgba'
import { pasteRgbaInPlace } from '../../shared/area/paste-rgba'
import type { AreaGeometry } from '../../shared/area/area-geometry'
import { areaPixelRects } from '../../shared/area/area-pixel-rects'
import { compositeArea } from '../../shared/area/composite-area'
import type { PixelRect, RgbaImage } from '../../shared/area/rgba-image'
import type { AreaAnswer, AreaComposite, AreaCompositor, PngImage } from './area-compositor'
import { decodePngRgbaAsync } from './decode-png-rgba-async'
import { assembleBandedPng, bandRowsFor, encodePngBand, type PngBand } from './banded-png'

/** Context kept around the area in the before/after crops, in frame-render pixels: enough to judge the edges. */
const COMPARE_MARGIN_PX = 24

/**
 * Decoded as the bytes say: no premultiplication (it would round semi-transparent pixels) and no
 * colour-space conversion (Figma's PNGs and the model's answers are sRGB; a conversion would move
 * every pixel of the frame, which must stay bit for bit outside the area).
 */
const DECODE: ImageBitmapOptions = { premultiplyAlpha: 'none', colorSpaceConversion: 'none' }

/** A CPU-backed canvas: getImageData is then a plain copy, and nothing is lost to a GPU round trip. */
function canvasOf(width: number, height: number): { canvas: OffscreenCanvas; context: OffscreenCanvasRenderingContext2D } {
  const canvas = new OffscreenCanvas(width, height)
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (context === null) throw new Error('no 2d canvas')
  return { canvas, context }
}

async function pixelsOfAsync(bytes: Uint8Array, type: string): Promise<ImageData> {
  const bitmap = await createImageBitmap(new Blob([bytes.slice()], { type }), DECODE)
  try {
    const { context } = canvasOf(bitmap.width, bitmap.height)
    context.drawImage(bitmap, 0, 0)
    return context.getImageData(0, 0, bitmap.width, bitmap.height)
  } finally {
    bitmap.close()
  }
}

function grow(rect: PixelRect, margin: number, bounds: PixelRect): PixelRect {
  const x = Math.max(bounds.x, rect.x - margin)
  const y = Math.max(bounds.y, rect.y - margin)
  const right = Math.min(bounds.x + bounds.width, rect.x + rect.width + margin)
  const bottom = Math.min(bounds.y + bounds.height, rect.y + rect.height + margin)
  return { x, y, width: right - x, height: bottom - y }
}

/** A small image (the before/after crops) through the canvas's own PNG encoder. */
async function encodePixelsAsync(pixels: RgbaImage): Promise<PngImage> {
  const { canvas, context } = canvasOf(pixels.width, pixels.height)
  const data = context.createImageData(pixels.width, pixels.height)
  data.data.set(pixels.data)
  context.putImageData(data, 0, 0)
  const blob = await canvas.convertToBlob({ type: 'image/png' })
  return { png: new Uint8Array(await blob.arrayBuffer()), width: canvas.width, height: canvas.height }
}

/** The frame render decoded, with the crop's pixels and the comparison's "before" read once. */
interface DecodedFrame {
  /** The frame's exact pixels; each answer's crop is written into them in turn. */
  pixels: RgbaImage
  crop: PixelRect
  areaInCrop: PixelRect
  compare: PixelRect
  base: RgbaImage
  before: Promise<PngImage>
  rows: number
  /** The frame's own bands (banded-png.ts), encoded while the model works. */
  bands: Promise<PngBand[]>
}

function hasTransparency(pixels: ImageData): boolean {
  for (let i = 3; i < pixels.data.length; i += 4) if (pixels.data[i] !== 255) return true
  return false
}

/**
 * A turn of the event loop between bands, so the panel stays responsive while a large frame is
 * encoded. A message rather than setTimeout(0), which browsers clamp to 4 ms once nested (HTML,
 * timers: 160 bands would wait 0.6 s for nothing).
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(undefined)
  })
}

async function encodeBandsAsync(pixels: RgbaImage, rows: number, signal: AbortSignal): Promise<PngBand[]> {
  const bands: PngBand[] = []
  for (let index = 0; index * rows < pixels.height; index += 1) {
    await nextTask()
    signal.throwIfAborted()
    bands.push(encodePngBand(pixels, index, rows))
  }
  return bands
}

async function decodeFrameAsync(frame: PngImage, geometry: AreaGeometry, signal: AbortSignal): Promise<DecodedFrame> {
  const drawn = await pixelsOfAsync(frame.png, 'image/png')
  // Opaque pixels survive a canvas exactly; semi-transparent ones are rounded by its premultiplied storage.
  const decoded = hasTransparency(drawn) ? await decodePngRgbaAsync(frame.png) : undefined
  const pixels = decoded?.width === drawn.width && decoded.height === drawn.height ? decoded : drawn
  const { crop, areaInCrop } = areaPixelRects(geometry, { width: pixels.width, height: pixels.height })
  const area = { x: crop.x + areaInCrop.x, y: crop.y + areaInCrop.y, width: areaInCrop.width, height: areaInCrop.height }
  const compare = grow(area, COMPARE_MARGIN_PX, crop)
  const before = encodePixelsAsync(cropRgba(pixels, compare))
  before.catch(() => undefined)
  const rows = bandRowsFor(pixels.width)
  const bands = encodeBandsAsync(pixels, rows, signal)
  bands.catch(() => undefined)
  return { pixels, crop, areaInCrop, compare, base: cropRgba(pixels, crop), before, rows, bands }
}

function rowsEqual(a: RgbaImage, b: RgbaImage, row: number): boolean {
  const stride = a.width * 4
  for (let i = row * stride; i < (row + 1) * stride; i += 1) if (a.data[i] !== b.data[i]) return false
  return true
}

/** The first and last rows of the crop the answer changed (outside area and feather it keeps the frame's pixels). */
function changedRows(base: RgbaImage, blended: RgbaImage): { first: number; last: number } | undefined {
  let first = 0
  while (first < base.height && rowsEqual(base, blended, first)) first += 1
  if (first === base.height) return undefined
  let last = base.height - 1
  while (rowsEqual(base, blended, last)) last -= 1
  return { first, last }
}

/**
 * The crop written into the frame's pixels, and only the bands holding rows it changed encoded
 * again. The next answer's crop covers this one whole (outside the band it is the frame's own
 * pixels), so nothing is restored, and every other band is the frame's own encoding.
 */
async function encodeWithCropAsync(frame: DecodedFrame, blended: RgbaImage): Promise<PngImage> {
  const bands = [...(await frame.bands)]
  const { pixels, crop, rows } = frame
  pasteRgbaInPlace(pixels, blended, crop.x, crop.y)
  const changed = changedRows(frame.base, blended)
  if (changed !== undefined) {
    const [first, last] = [Math.floor((crop.y + changed.first) / rows), Math.floor((crop.y + changed.last) / rows)]
    for (let index = first; index <= last; index += 1) bands[index] = encodePngBand(pixels, index, rows)
  }
  return { png: assembleBandedPng(pixels.width, pixels.height, bands), width: pixels.width, height: pixels.height }
}

async function blendAsync(frame: DecodedFrame, answer: AreaAnswer): Promise<AreaComposite> {
  const answerPixels = await pixelsOfAsync(answer.bytes, answer.contentType)
  const { pixels, drift } = compositeArea({ base: frame.base, answer: answerPixels, areaInCrop: frame.areaInCrop })
  const image = await encodeWithCropAsync(frame, pixels)
  const [after, before] = await Promise.all([encodePixelsAsync(cropRgba(frame.pixels, frame.compare)), frame.before])
  return { image, drift, before, after }
}

/**
 * The browser's decoder and a canvas read the pixels around shared/area/composite-area.ts; the
 * PNG is written by banded-png.ts. The frame render is decoded as soon as it is exported and its
 * bands encoded while the model takes seconds; an answer then costs its decode, the blend and the
 * few bands it changed. Everything outside those bands is the frame render's own encoding, and
 * inside them every pixel outside area and feather is the frame's own: a frame with transparency
 * is read by decode-png-rgba-async.ts, as a canvas would round its semi-transparent pixels.
 */
export const prepareCompositeOnCanvas: AreaCompositor = (frame, geometry) => {
  const stop = new AbortController()
  let decoded: Promise<DecodedFrame> | undefined = decodeFrameAsync(frame, geometry, stop.signal)
  // Its failure is reported by compositeAsync; until then it must not count as unhandled.
  decoded.catch(() => undefined)
  let queue: Promise<unknown> = Promise.resolve()
  return {
    compositeAsync(answer) {
      const ready = decoded
      if (ready === undefined) return Promise.reject(new Error('the composite is closed'))
      // One answer at a time: each writes its crop into the same pixels and encodes them.
      const run = queue.then(async () => blendAsync(await ready, answer))
      queue = run.catch(() => undefined)
      return run
    },
    close() {
      // A band still being encoded stops; the 40 MB of a 4096×2560 frame go with the last reference.
      decoded = undefined
      void queue.then(() => stop.abort())
    }
  }
}
