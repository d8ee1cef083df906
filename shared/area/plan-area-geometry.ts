import { AppError } from '../errors'
import { FIGMA_MAX_IMAGE_SIDE, REFERENCE_TARGET_PIXELS } from '../limits'
import { KONTEXT_REFERENCE, type ReferenceTarget } from '../reference-target'
import { nearestSize } from '../nearest-size'
import type { AreaGeometry, AreaRect } from './area-geometry'
import { AREA_CONTEXT_MIN_PX, AREA_CONTEXT_SHARE, AREA_CROP_MAX_SCALE, AREA_FRAME_SCALE } from './area-limits'

/**
 * The crop along one axis: centred on the area, shifted to lie within 0…limit where it fits, cut
 * to it where it does not, and outward to whole design pixels (at 2× the crop then starts and ends
 * on render pixels).
 */
function placeSpan(centre: number, length: number, limit: number): { start: number; length: number } {
  const shifted = Math.max(0, Math.min(centre - length / 2, limit - length))
  const start = Math.floor(shifted)
  return { start, length: Math.min(limit, Math.ceil(shifted + length)) - start }
}

function clipArea(area: AreaRect, container: { width: number; height: number }): AreaRect {
  const x = Math.max(0, area.x)
  const y = Math.max(0, area.y)
  const width = Math.min(container.width, area.x + area.width) - x
  const height = Math.min(container.height, area.y + area.height) - y
  if (width <= 0 || height <= 0) throw new AppError('export_failed', 'The selected layers are outside their frame.')
  return { x, y, width, height }
}

/** The crop's size before clamping: the area with context on every side, grown to the nearest output ratio. */
function cropSize(area: AreaRect, outputSizes: readonly { width: number; height: number }[]): { width: number; height: number } {
  const margin = Math.max(AREA_CONTEXT_MIN_PX, AREA_CONTEXT_SHARE * Math.max(area.width, area.height))
  const width = area.width + 2 * margin
  const height = area.height + 2 * margin
  if (outputSizes.length === 0) return { width, height }
  const size = nearestSize(outputSizes, width, height)
  const ratio = size.width / size.height
  // Grown, never shrunk: the context stays at least the margin on every side.
  return { width: Math.max(width, height * ratio), height: Math.max(height, width / ratio) }
}

/**
 * The frame render's scale: 2×, or what keeps its long side within Figma's 4096 px image limit,
 * floored to hundredths so the note can say the scale exactly.
 */
function frameScaleFor(longSide: number): number {
  const capped = FIGMA_MAX_IMAGE_SIDE / longSide
  const floored = Math.floor(capped * 100) / 100
  return Math.min(AREA_FRAME_SCALE, floored > 0 ? floored : capped)
}

/**
 * Where a region edit's crop goes and at which scales the crop and the whole container are
 * exported. `area` is in the container's coordinates at 1×; `name` (the container's) is for the notes.
 * The crop is exported at about the reference size the model makes use of (`target`).
 */
export function planAreaGeometry(
  area: AreaRect,
  container: { width: number; height: number; name?: string },
  outputSizes: readonly { width: number; height: number }[],
  target: ReferenceTarget = KONTEXT_REFERENCE
): { geometry: AreaGeometry; notes: string[] } {
  const inside = clipArea(area, container)
  const size = cropSize(inside, outputSizes)
  const spanX = placeSpan(inside.x + inside.width / 2, size.width, container.width)
  const spanY = placeSpan(inside.y + inside.height / 2, size.height, container.height)
  const crop = { x: spanX.start, y: spanY.start, width: spanX.length, height: spanY.length }
  const frameScale = frameScaleFor(Math.max(container.width, container.height))
  // The model's reference size, as whole-frame references are, but no more than a megapixel or the
  // frame render's scale, whichever is more: a larger answer is paid for (FLUX.2 bills by the
  // megapixel) and then scaled down into the render. Figma exports at most 4×.
  const pixels = crop.width * crop.height
  const useful = Math.max(frameScale, Math.sqrt(REFERENCE_TARGET_PIXELS / pixels))
  const cropScale = Math.min(
    Math.sqrt(target.pixels / pixels),
    useful,
    target.maxLongSide / Math.max(crop.width, crop.height),
    AREA_CROP_MAX_SCALE
  )
  const notes: string[] = []
  if (frameScale < 1) {
    const who = container.name === undefined ? 'The frame' : `“${container.name}”`
    notes.push(`${who} is larger than ${FIGMA_MAX_IMAGE_SIDE} px, so the result is at ${Number(frameScale.toPrecision(2))}×.`)
  }
  const geometry = { containerWidth: container.width, containerHeight: container.height, area: inside, crop, cropScale, frameScale }
  return { geometry, notes }
}
