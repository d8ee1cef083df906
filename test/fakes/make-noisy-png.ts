import { PNG } from 'pngjs'

/**
 * A real PNG that does not compress: seeded noise, about 4 bytes a pixel. The fakes' gradients
 * (make-image.ts) compress to a few kB; this is for references as large as the plugin's own
 * (~1.1 MB for a 1 MP frame), which hosts want uploaded rather than inline.
 */
export function makeNoisyPng(width: number, height: number, seed = 1): Uint8Array {
  const png = new PNG({ width, height })
  let state = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < png.data.length; i += 1) {
    // xorshift32: fast, seeded, and enough entropy that deflate gains nothing.
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    png.data[i] = i % 4 === 3 ? 255 : state & 0xff
  }
  return new Uint8Array(PNG.sync.write(png))
}
