import type { RgbaImage } from '../../../shared/area/rgba-image'

/** An image whose pixel (x, y) is `pixel(x, y)`: [r, g, b] (opaque) or [r, g, b, a]. */
export function rgba(width: number, height: number, pixel: (x: number, y: number) => readonly number[]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [r, g, b, a = 255] = pixel(x, y)
      data.set([r!, g!, b!, a], (y * width + x) * 4)
    }
  }
  return { data, width, height }
}

/** Pixel (x, y) as [r, g, b, a]. */
export function at(image: RgbaImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4
  return Array.from(image.data.subarray(i, i + 4))
}

/** One channel of a row, left to right. */
export function row(image: RgbaImage, y: number, channel = 0): number[] {
  return Array.from({ length: image.width }, (_, x) => image.data[(y * image.width + x) * 4 + channel]!)
}

/** One channel of a column, top to bottom. */
export function column(image: RgbaImage, x: number, channel = 0): number[] {
  return Array.from({ length: image.height }, (_, y) => image.data[(y * image.width + x) * 4 + channel]!)
}

/** A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator). */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** Whether two images hold the same bytes (quicker than a deep equality over a large typed array). */
export function sameBytes(a: RgbaImage, b: RgbaImage): boolean {
  return (
    a.width === b.width &&
    a.height === b.height &&
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
      Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)
    )
  )
}
