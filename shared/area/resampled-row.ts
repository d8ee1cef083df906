import { TAP_ONE } from './axis-taps'
import type { ResampledRows } from './resample-rows'

/**
 * One target row of a resampled image as two weighted source rows: target pixel x, channel c is
 * `src[a + 4x + c] × w0 + src[b + 4x + c] × w1`, in levels (0–255, not rounded). Bilinear rows
 * are read where they are; a row averaged from more (a shrink over 2×) is summed into `scratch`.
 */
export interface ResampledRow {
  readonly src: Uint16Array
  readonly a: number
  readonly b: number
  readonly w0: number
  readonly w1: number
}

/** From rows (levels ×256) and vertical weights (sum TAP_ONE) back to levels. */
const TO_LEVELS = 1 / (256 * TAP_ONE)

/** `scratch` holds one row (width × 4); it is overwritten when row `y` averages more than two. */
export function resampledRow(resampled: ResampledRows, y: number, scratch: Uint16Array): ResampledRow {
  const { rows, down } = resampled
  const rowLength = resampled.width * 4
  const tap = y * down.stride
  const a = down.first[y]! * rowLength
  const count = down.count[y]!
  if (count <= 2) {
    const w1 = count === 2 ? down.weights[tap + 1]! * TO_LEVELS : 0
    return { src: rows, a, b: count === 2 ? a + rowLength : a, w0: down.weights[tap]! * TO_LEVELS, w1 }
  }
  for (let i = 0; i < rowLength; i += 1) {
    let sum = TAP_ONE / 2
    for (let k = 0; k < count; k += 1) sum += rows[a + k * rowLength + i]! * down.weights[tap + k]!
    scratch[i] = sum / TAP_ONE
  }
  return { src: scratch, a: 0, b: 0, w0: 1 / 256, w1: 0 }
}
