import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { decodePngRgbaAsync } from '../../ui/image/decode-png-rgba-async'

/** Pixels with every kind of alpha (or opaque) and detail, so each of PNG's five row filters gets used by an adaptive encoder. */
function pixels(width: number, height: number, opaque = false): Buffer {
  const data = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4
      data[i] = (x * 7 + y) & 255
      data[i + 1] = y % 9 === 0 ? 255 : (x * y) & 255
      data[i + 2] = x < width / 2 ? 40 : (x ^ y) & 255
      data[i + 3] = opaque ? 255 : (x * 3) & 255
    }
  }
  return data
}

function png(width: number, height: number, options: { colorType?: 2 | 6; bitDepth?: 8 | 16; filterType?: number } = {}): Uint8Array {
  const settings = {
    colorType: options.colorType ?? 6,
    inputColorType: 6 as const,
    bitDepth: options.bitDepth ?? 8,
    filterType: options.filterType ?? -1
  }
  const image = new PNG({ width, height, ...settings })
  // RGB drops alpha: the pixels are then opaque, as pngjs would otherwise blend them over white.
  pixels(width, height, settings.colorType === 2).copy(image.data)
  return new Uint8Array(PNG.sync.write(image, settings))
}

describe('exact PNG pixels for a frame with transparency', () => {
  it('decodes an RGBA PNG to exactly its pixels, whatever the row filters', async () => {
    for (const filterType of [-1, 0, 1, 2, 3, 4]) {
      const decoded = await decodePngRgbaAsync(png(67, 31, { filterType }))
      expect(decoded).toBeDefined()
      expect([decoded!.width, decoded!.height]).toEqual([67, 31])
      expect(Buffer.from(decoded!.data)).toEqual(pixels(67, 31))
    }
  })

  it('decodes an RGB PNG as opaque RGBA', async () => {
    const decoded = await decodePngRgbaAsync(png(40, 12, { colorType: 2 }))
    expect(Buffer.from(decoded!.data)).toEqual(pixels(40, 12, true))
  })

  it('declines what Figma does not export (16-bit, not a PNG)', async () => {
    expect(await decodePngRgbaAsync(png(8, 8, { bitDepth: 16 }))).toBeUndefined()
    expect(await decodePngRgbaAsync(new Uint8Array([1, 2, 3]))).toBeUndefined()
  })
})
