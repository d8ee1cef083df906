import { resampleRows } from './resample-rows'
import { resampledRow } from './resampled-row'
import type { RgbaImage } from './rgba-image'

/**
 * `image` resampled to width×height: bilinear, or the area average when shrinking by more than 2×
 * (axis-taps.ts). Channels are not premultiplied: the model's answers are opaque, and at a
 * transparent edge the colour under alpha 0 only tints pixels that stay nearly transparent.
 */
export function resampleRgba(image: RgbaImage, width: number, height: number): RgbaImage {
  const resampled = resampleRows(image, width, height)
  const rowLength = width * 4
  const data = new Uint8ClampedArray(rowLength * height)
  const scratch = new Uint16Array(rowLength)
  for (let y = 0, out = 0; y < height; y += 1) {
    const { src, a, b, w0, w1 } = resampledRow(resampled, y, scratch)
    for (let i = 0; i < rowLength; i += 1) data[out++] = (src[a + i]! * w0 + src[b + i]! * w1 + 0.5) | 0
  }
  return { data, width, height }
}
