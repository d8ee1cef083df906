import type { AreaDrift } from './area-geometry'
import { AREA_FEATHER_PX } from './area-limits'
import { measureAreaDrift } from './measure-area-drift'
import { resampleRows, type ResampledRows } from './resample-rows'
import { resampledRow, type ResampledRow } from './resampled-row'
import type { PixelRect, RgbaImage } from './rgba-image'

/** Per column (or row) from `from`: 1 inside the area, falling linearly across the feather band. */
function featherWeights(from: number, to: number, areaStart: number, areaEnd: number, featherPx: number): Float32Array {
  const weights = new Float32Array(Math.max(0, to - from))
  for (let p = from; p < to; p += 1) {
    const distance = p < areaStart ? areaStart - p : p < areaEnd ? 0 : p - areaEnd + 1
    weights[p - from] = 1 - distance / (featherPx + 1)
  }
  return weights
}

const clamp = (value: number, size: number): number => Math.min(Math.max(value, 0), size - 1)

/** One row being blended: where it is written, the answer's row, where each column reads it, the drift. */
interface RowBlend {
  readonly data: Uint8ClampedArray
  /** Byte offset of the row's first blended pixel in `data`. */
  readonly start: number
  readonly row: ResampledRow
  readonly columns: Int32Array
  readonly drift: AreaDrift
}

/** Columns from…to − 1 of the row, each weighted by the smaller of its column's and the row's weight. */
function blendColumns(blend: RowBlend, from: number, to: number, columnWeights: Float32Array, rowWeight: number): void {
  const { data, columns } = blend
  const { src, a, b: second, w0, w1 } = blend.row
  const { r, g, b } = blend.drift
  for (let x = from, i = blend.start + from * 4; x < to; x += 1, i += 4) {
    const columnWeight = columnWeights[x]!
    const w = columnWeight < rowWeight ? columnWeight : rowWeight
    const j = columns[x]!
    // `| 0` after + 0.5 rounds (a negative value becomes 0 when stored, as a clamped array does).
    let value = data[i]!
    data[i] = (value + w * (src[a + j]! * w0 + src[second + j]! * w1 - r - value) + 0.5) | 0
    value = data[i + 1]!
    data[i + 1] = (value + w * (src[a + j + 1]! * w0 + src[second + j + 1]! * w1 - g - value) + 0.5) | 0
    value = data[i + 2]!
    data[i + 2] = (value + w * (src[a + j + 2]! * w0 + src[second + j + 2]! * w1 - b - value) + 0.5) | 0
    value = data[i + 3]!
    data[i + 3] = (value + w * (src[a + j + 3]! * w0 + src[second + j + 3]! * w1 - value) + 0.5) | 0
  }
}

/** Columns from…to − 1 of the row at weight 1 (inside the area): the corrected answer, base unread. */
function replaceColumns(blend: RowBlend, from: number, to: number): void {
  const { data, columns } = blend
  const { src, a, b: second, w0, w1 } = blend.row
  const [r, g, b] = [0.5 - blend.drift.r, 0.5 - blend.drift.g, 0.5 - blend.drift.b]
  for (let x = from, i = blend.start + from * 4; x < to; x += 1, i += 4) {
    const j = columns[x]!
    data[i] = (src[a + j]! * w0 + src[second + j]! * w1 + r) | 0
    data[i + 1] = (src[a + j + 1]! * w0 + src[second + j + 1]! * w1 + g) | 0
    data[i + 2] = (src[a + j + 2]! * w0 + src[second + j + 2]! * w1 + b) | 0
    data[i + 3] = (src[a + j + 3]! * w0 + src[second + j + 3]! * w1 + 0.5) | 0
  }
}

/**
 * The answer, corrected by the drift and read at the offset, blended into a copy of base inside
 * the area and its feather band. Pixels outside them are never written: they stay base's bit for
 * bit. The answer's rows are resampled one at a time, only where they are blended; inside the
 * area (most of the work) the answer replaces base without a blend.
 */
function blendArea(base: RgbaImage, answer: ResampledRows, area: PixelRect, featherPx: number, drift: AreaDrift): RgbaImage {
  const { width, height } = base
  const [left, top] = [Math.max(0, area.x - featherPx), Math.max(0, area.y - featherPx)]
  const [right, bottom] = [Math.min(width, area.x + area.width + featherPx), Math.min(height, area.y + area.height + featherPx)]
  const columnWeights = featherWeights(left, right, area.x, area.x + area.width, featherPx)
  const rowWeights = featherWeights(top, bottom, area.y, area.y + area.height, featherPx)
  // Where each blended column reads the answer: at the offset, clamped at the crop's edges.
  const columns = new Int32Array(Math.max(0, right - left))
  for (let x = left; x < right; x += 1) columns[x - left] = clamp(x + drift.offsetX, width) * 4
  // The area's own columns within the blended ones (an area past the crop's edge is cut to it).
  const inside = Math.min(columns.length, Math.max(0, area.x - left))
  const insideEnd = Math.max(inside, Math.min(right, area.x + area.width) - left)
  const scratch = new Uint16Array(width * 4)
  const data = new Uint8ClampedArray(base.data)
  for (let y = top; y < bottom; y += 1) {
    const row = resampledRow(answer, clamp(y + drift.offsetY, height), scratch)
    const blend = { data, start: (y * width + left) * 4, row, columns, drift }
    const rowWeight = rowWeights[y - top]!
    if (rowWeight < 1) {
      blendColumns(blend, 0, columns.length, columnWeights, rowWeight)
    } else {
      blendColumns(blend, 0, inside, columnWeights, 1)
      replaceColumns(blend, inside, insideEnd)
      blendColumns(blend, insideEnd, columns.length, columnWeights, 1)
    }
  }
  return { data, width, height }
}

/**
 * A region edit's composite: the model's answer scaled to the crop (base: the frame render's
 * pixels inside the crop), its colour drift and offset measured on the ring around the area and
 * corrected, then blended in inside the area plus a feather band. Returns the new crop pixels.
 */
export function compositeArea(input: { base: RgbaImage; answer: RgbaImage; areaInCrop: PixelRect; featherPx?: number }): {
  pixels: RgbaImage
  drift: AreaDrift
} {
  const { base, areaInCrop } = input
  const featherPx = input.featherPx ?? AREA_FEATHER_PX
  const answer = resampleRows(input.answer, base.width, base.height)
  const drift = measureAreaDrift(base, answer, areaInCrop, featherPx)
  return { pixels: blendArea(base, answer, areaInCrop, featherPx, drift), drift }
}
