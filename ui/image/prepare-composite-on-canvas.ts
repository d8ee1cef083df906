import { cropRgba } from '../../shared/area/crop-rgba'
import { pasteRgba } from '../../shared/area/paste-rgba'
import type { AreaGeometry } from '../../shared/area/area-geometry'
import { areaPixelRects } from '../../shared/area/area-pixel-rects'
import { compositeArea } from '../../shared/area/composite-area'
import type { PixelRect, RgbaImage } from '../../shared/area/rgba-image'
import type { AreaAnswer, AreaComposite, AreaCompositor, PngImage } from './area-compositor'
import { decodePngRgbaAsync } from './decode-png-rgba-async'
import { encodePngRgbaAsync } from './encode-png-rgba-async'

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

async function encodeAsync(canvas: OffscreenCanvas): Promise<PngImage> {
  const blob = await canvas.convertToBlob({ type: 'image/png' })
  return { png: new Uint8Array(await blob.arrayBuffer()), width: canvas.width, height: canvas.height }
}

function encodePixelsAsync(pixels: RgbaImage): Promise<PngImage> {
  const { canvas, context } = canvasOf(pixels.width, pixels.height)
  const data = context.createImageData(pixels.width, pixels.height)
  data.data.set(pixels.data)
  context.putImageData(data, 0, 0)
  return encodeAsync(canvas)
}

/** The frame render on a canvas, with the crop's pixels and the comparison's "before" read once. */
interface DecodedFrame {
  canvas: OffscreenCanvas
  context: OffscreenCanvasRenderingContext2D
  /** The frame's own pixels when it has transparency, which the canvas would round; undefined for an opaque frame. */
  exact: RgbaImage | undefined
  crop: PixelRect
  areaInCrop: PixelRect
  compare: PixelRect
  base: RgbaImage
  before: Promise<PngImage>
}

function hasTransparency(pixels: ImageData): boolean {
  for (let i = 3; i < pixels.data.length; i += 4) if (pixels.data[i] !== 255) return true
  return false
}

async function decodeFrameAsync(frame: PngImage, geometry: AreaGeometry): Promise<DecodedFrame> {
  const bitmap = await createImageBitmap(new Blob([frame.png.slice()], { type: 'image/png' }), DECODE)
  const { canvas, context } = canvasOf(bitmap.width, bitmap.height)
  context.drawImage(bitmap, 0, 0)
  bitmap.close()
  const drawn = context.getImageData(0, 0, canvas.width, canvas.height)
  // Opaque pixels survive a canvas exactly; semi-transparent ones are rounded by its premultiplied storage.
  const decoded = hasTransparency(drawn) ? await decodePngRgbaAsync(frame.png) : undefined
  const exact = decoded?.width === canvas.width && decoded.height === canvas.height ? decoded : undefined
  const { crop, areaInCrop } = areaPixelRects(geometry, { width: canvas.width, height: canvas.height })
  const area = { x: crop.x + areaInCrop.x, y: crop.y + areaInCrop.y, width: areaInCrop.width, height: areaInCrop.height }
  const compare = grow(area, COMPARE_MARGIN_PX, crop)
  const source = exact ?? drawn
  const before = encodePixelsAsync(cropRgba(source, compare))
  before.catch(() => undefined)
  return { canvas, context, exact, crop, areaInCrop, compare, base: cropRgba(source, crop), before }
}

/** A frame with transparency: its exact pixels with the crop replaced, encoded without a canvas. */
async function encodeExactAsync(frame: DecodedFrame, exact: RgbaImage, pixels: RgbaImage): Promise<{ image: PngImage; after: PngImage }> {
  const out = pasteRgba(exact, pixels, frame.crop.x, frame.crop.y)
  const [png, after] = await Promise.all([encodePngRgbaAsync(out), encodePixelsAsync(cropRgba(out, frame.compare))])
  return { image: { png, width: out.width, height: out.height }, after }
}

/**
 * An opaque frame: the crop written onto the canvas and the canvas encoded. The next answer's crop
 * covers this one whole (outside the band it is the frame's own pixels), so nothing is restored.
 */
async function encodeOnCanvasAsync(frame: DecodedFrame, pixels: RgbaImage): Promise<{ image: PngImage; after: PngImage }> {
  const { canvas, context, crop, compare } = frame
  const blended = context.createImageData(pixels.width, pixels.height)
  blended.data.set(pixels.data)
  context.putImageData(blended, crop.x, crop.y)
  const after = encodePixelsAsync(context.getImageData(compare.x, compare.y, compare.width, compare.height))
  const [image, afterPng] = await Promise.all([encodeAsync(canvas), after])
  return { image, after: afterPng }
}

async function blendAsync(frame: DecodedFrame, answer: AreaAnswer): Promise<AreaComposite> {
  const answerPixels = await pixelsOfAsync(answer.bytes, answer.contentType)
  const { pixels, drift } = compositeArea({ base: frame.base, answer: answerPixels, areaInCrop: frame.areaInCrop })
  const [{ image, after }, before] = await Promise.all([
    frame.exact === undefined ? encodeOnCanvasAsync(frame, pixels) : encodeExactAsync(frame, frame.exact, pixels),
    frame.before
  ])
  return { image, drift, before, after }
}

/**
 * The browser's decoder and a canvas do the pixel work around shared/area/composite-area.ts. The
 * frame render is decoded as soon as it is exported (the model then takes seconds), drawn once,
 * and only the crop's pixels are written; everything outside the crop is the frame render's own
 * pixels, untouched, when the canvas is encoded as PNG. A frame with transparency is decoded and
 * encoded by decode-png-rgba-async.ts and encode-png-rgba-async.ts instead, so those pixels stay
 * exact too.
 */
export const prepareCompositeOnCanvas: AreaCompositor = (frame, geometry) => {
  let decoded: Promise<DecodedFrame> | undefined = decodeFrameAsync(frame, geometry)
  // Its failure is reported by compositeAsync; until then it must not count as unhandled.
  decoded.catch(() => undefined)
  let queue: Promise<unknown> = Promise.resolve()
  return {
    compositeAsync(answer) {
      const ready = decoded
      if (ready === undefined) return Promise.reject(new Error('the composite is closed'))
      // One answer at a time: each writes its crop into the same canvas and encodes it.
      const run = queue.then(async () => blendAsync(await ready, answer))
      queue = run.catch(() => undefined)
      return run
    },
    close() {
      const ready = decoded
      decoded = undefined
      // A 4096×2560 canvas holds 40 MB: give it back rather than wait for the collector.
      void queue
        .then(async () => {
          const frame = await ready
          if (frame !== undefined) frame.canvas.width = 0
        })
        .catch(() => undefined)
    }
  }
}
