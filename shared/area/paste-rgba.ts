import type { RgbaImage } from './rgba-image'

/** Writes `patch` over `image`'s own pixels at (x, y) (the patch must fit inside). */
export function pasteRgbaInPlace(image: RgbaImage, patch: RgbaImage, x: number, y: number): void {
  for (let row = 0; row < patch.height; row += 1) {
    image.data.set(patch.data.subarray(row * patch.width * 4, (row + 1) * patch.width * 4), ((y + row) * image.width + x) * 4)
  }
}

/** A copy of `image` with `patch` written over it at (x, y) (the patch must fit inside). */
export function pasteRgba(image: RgbaImage, patch: RgbaImage, x: number, y: number): RgbaImage {
  const copy = { data: new Uint8ClampedArray(image.data), width: image.width, height: image.height }
  pasteRgbaInPlace(copy, patch, x, y)
  return copy
}
