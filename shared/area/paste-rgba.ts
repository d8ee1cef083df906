import type { RgbaImage } from './rgba-image'

/** A copy of `image` with `patch` written over it at (x, y) (the patch must fit inside). */
export function pasteRgba(image: RgbaImage, patch: RgbaImage, x: number, y: number): RgbaImage {
  const data = new Uint8ClampedArray(image.data)
  for (let row = 0; row < patch.height; row += 1) {
    data.set(patch.data.subarray(row * patch.width * 4, (row + 1) * patch.width * 4), ((y + row) * image.width + x) * 4)
  }
  return { data, width: image.width, height: image.height }
}
