import { axisTaps, TAP_ONE, type AxisTaps } from './axis-taps'
import type { RgbaImage } from './rgba-image'

/**
 * An image resampled across but not yet down: each source row at the target width (the first of
 * two separable passes), with the taps that make each target row. The composite reads target rows
 * from it one at a time and only where it needs them, so a 10 MP answer is never held whole.
 */
export interface ResampledRows {
  /** RGBA, each level ×256, `width` pixels a row, one row per source row. */
  readonly rows: Uint16Array
  readonly width: number
  readonly height: number
  readonly down: AxisTaps
}

/** Levels ×256 fit 16 bits: the horizontal sums (×TAP_ONE) are shifted down by this. */
const ROW_SHIFT = Math.log2(TAP_ONE) - 8

/** Each source row at `width` pixels, for taps of any count (a shrink over 2×, a one-pixel source). */
function resampleRowsAnyTaps(image: RgbaImage, taps: AxisTaps, rows: Uint16Array, width: number): void {
  const { first, count, weights, stride } = taps
  const src = image.data
  const half = 1 << (ROW_SHIFT - 1)
  for (let y = 0, out = 0; y < image.height; y += 1) {
    const rowStart = y * image.width * 4
    for (let x = 0; x < width; x += 1, out += 4) {
      let r = half
      let g = half
      let b = half
      let a = half
      for (let k = x * stride, end = k + count[x]!, i = rowStart + first[x]! * 4; k < end; k += 1, i += 4) {
        const w = weights[k]!
        r += src[i]! * w
        g += src[i + 1]! * w
        b += src[i + 2]! * w
        a += src[i + 3]! * w
      }
      rows[out] = r >> ROW_SHIFT
      rows[out + 1] = g >> ROW_SHIFT
      rows[out + 2] = b >> ROW_SHIFT
      rows[out + 3] = a >> ROW_SHIFT
    }
  }
}

/** Each source row at `width` pixels with exactly two taps a pixel (bilinear): the usual case, unrolled. */
function resampleRowsTwoTaps(image: RgbaImage, taps: AxisTaps, rows: Uint16Array, width: number): void {
  const { first, weights } = taps
  const src = image.data
  const half = 1 << (ROW_SHIFT - 1)
  for (let y = 0, out = 0; y < image.height; y += 1) {
    const rowStart = y * image.width * 4
    for (let x = 0; x < width; x += 1, out += 4) {
      const w0 = weights[2 * x]!
      const w1 = weights[2 * x + 1]!
      const i = rowStart + first[x]! * 4
      rows[out] = (src[i]! * w0 + src[i + 4]! * w1 + half) >> ROW_SHIFT
      rows[out + 1] = (src[i + 1]! * w0 + src[i + 5]! * w1 + half) >> ROW_SHIFT
      rows[out + 2] = (src[i + 2]! * w0 + src[i + 6]! * w1 + half) >> ROW_SHIFT
      rows[out + 3] = (src[i + 3]! * w0 + src[i + 7]! * w1 + half) >> ROW_SHIFT
    }
  }
}

export function resampleRows(image: RgbaImage, width: number, height: number): ResampledRows {
  const across = axisTaps(image.width, width)
  const rows = new Uint16Array(width * image.height * 4)
  if (across.stride === 2 && image.width > 1) resampleRowsTwoTaps(image, across, rows, width)
  else resampleRowsAnyTaps(image, across, rows, width)
  return { rows, width, height, down: axisTaps(image.height, height) }
}
