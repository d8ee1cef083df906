import type { AreaDrift } from './area-geometry'
import {
  AREA_DRIFT_LARGE,
  AREA_MAX_OFFSET_PX,
  AREA_OFFSET_GAIN_LARGE,
  AREA_OFFSET_MIN_GAIN,
  AREA_RESIDUAL_LARGE,
  AREA_RING_GAP_PX,
  AREA_RING_SAMPLES
} from './area-limits'
import type { ResampledRows } from './resample-rows'
import { resampledRow } from './resampled-row'
import type { PixelRect, RgbaImage } from './rgba-image'

/** Every offset tried, nearest first, so that among equal fits the smallest shift wins. */
const OFFSETS: readonly (readonly [number, number])[] = (() => {
  const offsets: [number, number][] = []
  for (let dy = -AREA_MAX_OFFSET_PX; dy <= AREA_MAX_OFFSET_PX; dy += 1) {
    for (let dx = -AREA_MAX_OFFSET_PX; dx <= AREA_MAX_OFFSET_PX; dx += 1) offsets.push([dx, dy])
  }
  return offsets.sort((a, b) => Math.abs(a[0]) + Math.abs(a[1]) - Math.abs(b[0]) - Math.abs(b[1]))
})()

/**
 * The ring's pixels (y × width + x), row by row on a regular grid of about AREA_RING_SAMPLES: the
 * crop outside the area grown by the feather and a gap, kept AREA_MAX_OFFSET_PX from the crop's
 * edges so every offset reads inside the answer, and only where both images are opaque (colours
 * under transparency mean nothing).
 */
function ringPixels(base: RgbaImage, answer: ResampledRows, area: PixelRect, featherPx: number): number[] {
  const { width, height } = base
  const edge = AREA_MAX_OFFSET_PX
  const grow = featherPx + AREA_RING_GAP_PX
  const [left, top, right, bottom] = [area.x - grow, area.y - grow, area.x + area.width + grow, area.y + area.height + grow]
  const innerWidth = Math.max(0, width - 2 * edge)
  const innerHeight = Math.max(0, height - 2 * edge)
  const overlap =
    Math.max(0, Math.min(right, width - edge) - Math.max(left, edge)) * Math.max(0, Math.min(bottom, height - edge) - Math.max(top, edge))
  const step = Math.max(1, Math.floor(Math.sqrt((innerWidth * innerHeight - overlap) / AREA_RING_SAMPLES)))
  // A plain array: about AREA_RING_SAMPLES entries, where a typed array sized for the whole grid
  // would take 40 MB for a 10 MP crop whose area leaves a thin ring.
  const pixels: number[] = []
  const scratch = new Uint16Array(width * 4)
  for (let y = edge; y < height - edge; y += step) {
    const inRows = y >= top && y < bottom
    const { src, a, b, w0, w1 } = resampledRow(answer, y, scratch)
    for (let x = edge; x < width - edge; x += step) {
      if (inRows && x >= left && x < right) continue
      // The answer's alpha, resampled, is 255 give or take float rounding where it is opaque.
      const opaque = base.data[(y * width + x) * 4 + 3] === 255 && src[a + x * 4 + 3]! * w0 + src[b + x * 4 + 3]! * w1 > 254.5
      if (opaque) pixels.push(y * width + x)
    }
  }
  return pixels
}

/** answer − base at every ring pixel, for every offset (OFFSETS order), RGB. */
function differences(base: RgbaImage, answer: ResampledRows, pixels: readonly number[]): Float32Array {
  const width = base.width
  const values = new Float32Array(pixels.length * OFFSETS.length * 3)
  const scratch = new Uint16Array(width * 4)
  for (let start = 0, end = 0; start < pixels.length; start = end) {
    const y = Math.floor(pixels[start]! / width)
    while (end < pixels.length && Math.floor(pixels[end]! / width) === y) end += 1
    for (let o = 0; o < OFFSETS.length; o += 1) {
      const [dx, dy] = OFFSETS[o]!
      const { src, a, b, w0, w1 } = resampledRow(answer, y + dy, scratch)
      for (let k = start; k < end; k += 1) {
        const p = pixels[k]!
        const j = (p - y * width + dx) * 4
        for (let c = 0, v = (k * OFFSETS.length + o) * 3; c < 3; c += 1)
          values[v + c] = src[a + j + c]! * w0 + src[b + j + c]! * w1 - base.data[p * 4 + c]!
      }
    }
  }
  return values
}

interface Fit {
  readonly offset: number
  readonly mean: readonly [number, number, number]
  readonly residual: number
}

/** The per-channel mean difference at one offset, and the mean absolute difference left after it. */
function fitAt(values: Float32Array, samples: number, offset: number): Fit {
  const stride = OFFSETS.length * 3
  let [r, g, b] = [0, 0, 0]
  for (let i = offset * 3; i < values.length; i += stride) {
    r += values[i]!
    g += values[i + 1]!
    b += values[i + 2]!
  }
  const mean = [r / samples, g / samples, b / samples] as const
  const [meanR, meanG, meanB] = mean
  let residual = 0
  for (let i = offset * 3; i < values.length; i += stride) {
    residual += Math.abs(values[i]! - meanR) + Math.abs(values[i + 1]! - meanG) + Math.abs(values[i + 2]! - meanB)
  }
  return { offset, mean, residual: residual / (3 * samples) }
}

/**
 * How the answer (resampled to the crop's size) differs from the frame render on the ring around
 * the area, where the model was not asked to change anything: its colour drift, the integer offset
 * that lines it up best, and what remains after both are corrected.
 */
export function measureAreaDrift(base: RgbaImage, answer: ResampledRows, areaInCrop: PixelRect, featherPx: number): AreaDrift {
  const pixels = ringPixels(base, answer, areaInCrop, featherPx)
  if (pixels.length === 0) return { r: 0, g: 0, b: 0, residual: 0, offsetX: 0, offsetY: 0, large: false }
  const values = differences(base, answer, pixels)
  const fits = OFFSETS.map((_, offset) => fitAt(values, pixels.length, offset))
  const unshifted = fits[0]!
  let best = unshifted
  for (const fit of fits) if (fit.residual < best.residual) best = fit
  // A shift must earn its place: on flat or noisy rings every offset fits about as well.
  if (unshifted.residual - best.residual < AREA_OFFSET_MIN_GAIN) best = unshifted
  const [offsetX, offsetY] = OFFSETS[best.offset]!
  const [r, g, b] = best.mean
  const large =
    Math.max(Math.abs(r), Math.abs(g), Math.abs(b)) > AREA_DRIFT_LARGE ||
    best.residual > AREA_RESIDUAL_LARGE ||
    unshifted.residual - best.residual > AREA_OFFSET_GAIN_LARGE
  return { r, g, b, residual: best.residual, offsetX, offsetY, large }
}
