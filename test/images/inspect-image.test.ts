/**
 * inspectImage and inspectImageAsync: the format table, the pixel limit at its edge (checked from
 * PNG's IHDR before its chunks are walked), and the inflate check only PNG pays for.
 */
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32 } from '../../relay/images/crc32'
import type { ImagePlatform } from '../../relay/images/image-platform'
import { inspectImage, inspectImageAsync } from '../../relay/images/inspect-image'
import { MAX_REFERENCE_PIXELS } from '../../shared/limits'
import { concatBytes } from '../support/concat-bytes'
import { idat, iend, ihdr, png, pngChunk } from './png'
import { ANIMATED, anim, anmf, vp8, vp8l, vp8x, webpOf } from './riff'

const jpeg = (width: number, height: number): Uint8Array =>
  new Uint8Array([
    ...[0xff, 0xd8],
    ...[0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0],
    ...[0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34],
    ...[0xff, 0xd9]
  ])

/** An animated WebP: a canvas of any size up to 2²⁴ a side, over one 1×1 frame. */
const webp = (width: number, height: number): Uint8Array =>
  webpOf(vp8x(ANIMATED, width, height), anim(), anmf({ x: 0, y: 0, width: 1, height: 1 }, vp8l(1, 1)))

/** A platform that records what it is asked to inflate and answers `inflates`. */
function recordingPlatform(inflates: boolean): ImagePlatform & { asked: Array<{ chunks: number[][]; expected: number }> } {
  const asked: Array<{ chunks: number[][]; expected: number }> = []
  return {
    asked,
    crc32,
    async inflatesToExactlyAsync(chunks, expected) {
      asked.push({ chunks: chunks.map((chunk) => [...chunk]), expected })
      return inflates
    }
  }
}

describe('the format table', () => {
  it('tells each format by its magic bytes and answers its content type and size', () => {
    expect(inspectImage(png(ihdr(3, 2), idat(), iend()), 'Image 1', 100)).toEqual({ contentType: 'image/png', width: 3, height: 2 })
    expect(inspectImage(jpeg(5, 4), 'Image 1', 100)).toEqual({ contentType: 'image/jpeg', width: 5, height: 4 })
    expect(inspectImage(webpOf(vp8(7, 6)), 'Image 1', 100)).toEqual({ contentType: 'image/webp', width: 7, height: 6 })
  })

  it('refuses anything else, naming the label', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('GIF89a......'), new Uint8Array([0xff, 0xd8, 0x00])]) {
      expect(() => inspectImage(bytes, 'Image 3', 100)).toThrow(
        expect.objectContaining({ code: 'invalid_image', message: 'Image 3 is not a complete PNG, JPEG or WebP image.' })
      )
    }
  })

  it('hands each format to its own walker', () => {
    expect(() => inspectImage(png(ihdr(3, 2), iend()), 'Image 1', 100)).toThrow(
      'Image 1 is not a complete PNG image (it has no image data).'
    )
    expect(() => inspectImage(jpeg(5, 4).subarray(0, 20), 'Image 1', 100)).toThrow(/^Image 1 is not a complete JPEG image/)
    expect(() => inspectImage(webpOf(vp8(7, 6, { partition: 0 })), 'Image 1', 100)).toThrow(/^Image 1 is not a complete WebP image/)
  })

  it('checks PNG CRCs with the platform’s crc32', () => {
    const bytes = png(ihdr(3, 2), idat(), iend())
    expect(() => inspectImage(bytes, 'Image 1', 100, { crc32: () => 0 })).toThrow(
      "Image 1 is not a complete PNG image (the IHDR chunk's CRC does not match)."
    )
  })
})

describe('the pixel limit', () => {
  const over = (label: string, width: number, height: number): object =>
    expect.objectContaining({ code: 'invalid_image', message: `${label} is ${width}×${height} pixels; the limit is 20 megapixels.` })

  it('takes 20 MP exactly and refuses one row or column more, in every format', () => {
    expect(MAX_REFERENCE_PIXELS).toBe(20_000_000)
    expect(inspectImage(jpeg(5000, 4000), 'Image 1', MAX_REFERENCE_PIXELS)).toMatchObject({ width: 5000, height: 4000 })
    expect(() => inspectImage(jpeg(5000, 4001), 'Image 1', MAX_REFERENCE_PIXELS)).toThrow(over('Image 1', 5000, 4001))
    expect(() => inspectImage(jpeg(5001, 4000), 'Image 1', MAX_REFERENCE_PIXELS)).toThrow(over('Image 1', 5001, 4000))
    expect(inspectImage(webp(4000, 5000), 'Image 1', MAX_REFERENCE_PIXELS)).toMatchObject({ width: 4000, height: 5000 })
    expect(() => inspectImage(webp(4001, 5000), 'Image 1', MAX_REFERENCE_PIXELS)).toThrow(over('Image 1', 4001, 5000))
    expect(inspectImage(png(ihdr(5000, 4000), idat(), iend()), 'Image 1', MAX_REFERENCE_PIXELS)).toMatchObject({
      width: 5000,
      height: 4000
    })
    expect(() => inspectImage(png(ihdr(4000, 5001), idat(), iend()), 'Image 1', MAX_REFERENCE_PIXELS)).toThrow(over('Image 1', 4000, 5001))
  })

  it('rounds the limit to whole megapixels in its message', () => {
    const message = (maxPixels: number): string => {
      try {
        inspectImage(jpeg(2000, 2000), 'Result 1', maxPixels)
      } catch (error) {
        return (error as Error).message
      }
      return 'accepted'
    }
    expect(message(3_499_999)).toBe('Result 1 is 2000×2000 pixels; the limit is 3 megapixels.')
    expect(message(3_500_000)).toBe('Result 1 is 2000×2000 pixels; the limit is 4 megapixels.')
    expect(message(4_000_000)).toBe('accepted')
  })

  it('refuses an oversized PNG from IHDR alone, before its chunks are walked', () => {
    // No IDAT, no IEND, bad CRCs after IHDR: the pixel count is what it is refused for.
    const headerOnly = concatBytes([png(ihdr(6000, 6000)), pngChunk('IDAT', [1], { crc: 0 })])
    expect(() => inspectImage(headerOnly, 'Image 2', MAX_REFERENCE_PIXELS)).toThrow(over('Image 2', 6000, 6000))
    // A PNG whose first chunk is not IHDR has no header to read: the walker says why.
    expect(() => inspectImage(png(idat(), ihdr(6000, 6000), iend()), 'Image 2', MAX_REFERENCE_PIXELS)).toThrow(
      'Image 2 is not a complete PNG image (IHDR is not the first chunk).'
    )
  })
})

describe('inspectImageAsync', () => {
  it('asks the platform whether PNG pixel data inflates to exactly what IHDR declares', async () => {
    const platform = recordingPlatform(true)
    const bytes = png(ihdr(3, 2), idat([1, 2]), idat([3]), iend())
    expect(await inspectImageAsync(bytes, 'Image 1', 100, platform)).toEqual({ contentType: 'image/png', width: 3, height: 2 })
    expect(platform.asked).toEqual([{ chunks: [[1, 2], [3]], expected: 2 * (1 + 3 * 4) }])
  })

  it('refuses a PNG whose pixel data does not match its header', async () => {
    const platform = recordingPlatform(false)
    await expect(inspectImageAsync(png(ihdr(3, 2), idat(), iend()), 'Image 4', 100, platform)).rejects.toMatchObject({
      code: 'invalid_image',
      message: 'Image 4 is not a complete PNG image (its pixel data does not match its 3×2 header).'
    })
  })

  it('inflates nothing for JPEG and WebP, or for a PNG over the limit', async () => {
    const platform = recordingPlatform(false)
    expect(await inspectImageAsync(jpeg(5, 4), 'Image 1', 100, platform)).toEqual({ contentType: 'image/jpeg', width: 5, height: 4 })
    expect(await inspectImageAsync(webpOf(vp8(7, 6)), 'Image 1', 100, platform)).toEqual({ contentType: 'image/webp', width: 7, height: 6 })
    await expect(inspectImageAsync(png(ihdr(11, 10), idat(), iend()), 'Image 1', 100, platform)).rejects.toThrow(
      'Image 1 is 11×10 pixels; the limit is 0 megapixels.'
    )
    expect(platform.asked).toEqual([])
  })

  it('uses the portable platform by default', async () => {
    const scanlines = new Uint8Array(2 * (1 + 3 * 4))
    expect(await inspectImageAsync(png(ihdr(3, 2), idat(deflateSync(scanlines)), iend()), 'Image 1', 100)).toMatchObject({ width: 3 })
    await expect(inspectImageAsync(png(ihdr(3, 2), idat(deflateSync(scanlines.subarray(1))), iend()), 'Image 1', 100)).rejects.toThrow(
      /pixel data does not match/
    )
  })
})
