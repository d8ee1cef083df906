import type { PixelRect, RgbaImage } from './rgba-image'

/** A copy of `rect`'s pixels (the rect must lie inside the image). */
export function cropRgba(image: RgbaImage, rect: PixelRect): RgbaImage {
  const data = new Uint8ClampedArray(rect.width * rect.height * 4)
  for (let y = 0; y < rect.height; y += 1) {
    const from = ((rect.y + y) * image.width + rect.x) * 4
    data.set(image.data.subarray(from, from + rect.width * 4), y * rect.width * 4)
  }
  return { data, width: rect.width, height: rect.height }
}
