import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

/**
 * Real, decodable image bytes for fakes: a gradient with a seed-dependent tint and a grid, so two
 * different results never have the same bytes and a human looking at a screenshot sees an image.
 */
function paint(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 4)
  const tint = (seed * 2654435761) >>> 0
  const [tr, tg, tb] = [tint & 0xff, (tint >>> 8) & 0xff, (tint >>> 16) & 0xff]
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4
      const grid = x % 64 < 2 || y % 64 < 2 ? 60 : 0
      data[i] = (Math.floor((x / Math.max(1, width - 1)) * 200) + tr / 4 + grid) & 0xff
      data[i + 1] = (Math.floor((y / Math.max(1, height - 1)) * 200) + tg / 4 + grid) & 0xff
      data[i + 2] = (120 + tb / 2 - grid) & 0xff
      data[i + 3] = 255
    }
  }
  return data
}

export function makePng(width: number, height: number, seed = 1): Uint8Array {
  const png = new PNG({ width, height })
  paint(width, height, seed).copy(png.data)
  return new Uint8Array(PNG.sync.write(png))
}

export function makeJpeg(width: number, height: number, seed = 1, quality = 90): Uint8Array {
  const encoded = jpeg.encode({ data: paint(width, height, seed), width, height }, quality)
  return new Uint8Array(encoded.data)
}

let webpReady: Promise<typeof import('@jsquash/webp/encode.js').default> | undefined

/** Real WebP bytes, encoded by libwebp compiled to WASM (@jsquash/webp, from Squoosh). */
export async function makeWebpAsync(width: number, height: number, seed = 1): Promise<Uint8Array> {
  webpReady ??= (async () => {
    const { readFile } = await import('node:fs/promises')
    const { createRequire } = await import('node:module')
    const require = createRequire(import.meta.url)
    const wasmPath = require.resolve('@jsquash/webp/codec/enc/webp_enc.wasm')
    const { default: encode, init } = await import('@jsquash/webp/encode.js')
    await init(await WebAssembly.compile(await readFile(wasmPath)))
    return encode
  })()
  const encode = await webpReady
  // ImageData exists in DOM typings only; libwebp needs just these four fields.
  const image = { data: new Uint8ClampedArray(paint(width, height, seed)), width, height, colorSpace: 'srgb' as const }
  return new Uint8Array(await encode(image satisfies Omit<ImageData, 'data'> & { data: Uint8ClampedArray }, { quality: 80 }))
}
