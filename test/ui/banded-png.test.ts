import { PNG } from 'pngjs'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { assembleBandedPng, bandRowsFor, combineAdler32, encodePngBand, type PngBand } from '../../ui/image/banded-png'

/** Every kind of alpha and detail, so a lossy or rounding encoder would show. */
function pixels(width: number, height: number, seed = 0): Uint8ClampedArray {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let i = 0; i < data.length; i += 1) data[i] = (Math.imul(i + seed, 2654435761) >>> 13) & 255
  return data
}

function encodeAll(data: Uint8ClampedArray, width: number, height: number, rows: number): PngBand[] {
  const image = { data, width, height }
  return Array.from({ length: Math.ceil(height / rows) }, (_, index) => encodePngBand(image, index, rows))
}

/** pngjs checks every chunk's CRC and node's inflate the stream's Adler-32: a wrong one throws. */
function read(png: Uint8Array): { width: number; height: number; data: Buffer } {
  return PNG.sync.read(Buffer.from(png))
}

/** Adler-32 as RFC 1950, 8.2 states it, byte by byte. */
function referenceAdler32(bytes: Uint8Array): number {
  let [a, b] = [1, 0]
  for (const byte of bytes) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return ((b << 16) | a) >>> 0
}

describe('a PNG made of independently encoded bands', () => {
  it('decodes to exactly its pixels, transparency included, whatever the band height', () => {
    for (const [width, height, rows] of [
      [37, 23, 5],
      [37, 23, 1],
      [37, 23, 23],
      [37, 23, 100],
      [1, 9, 4]
    ] as const) {
      const data = pixels(width, height)
      const decoded = read(assembleBandedPng(width, height, encodeAll(data, width, height, rows)))
      expect([decoded.width, decoded.height]).toEqual([width, height])
      expect(new Uint8ClampedArray(decoded.data)).toEqual(data)
    }
  })

  it('takes one band encoded again after its pixels changed, the others reused as they were', () => {
    const [width, height, rows] = [41, 30, 8]
    const data = pixels(width, height)
    const original = encodeAll(data, width, height, rows)
    // Rows 9 to 14 change: all in band 1, whose neighbours' first rows must not depend on them.
    data.set(pixels(width, 6, 99), 9 * width * 4)
    const bands = original.map((band, index) => (index === 1 ? encodePngBand({ data, width, height }, 1, rows) : band))
    expect(bands[1]!.chunk).not.toEqual(original[1]!.chunk)
    expect(new Uint8ClampedArray(read(assembleBandedPng(width, height, bands)).data)).toEqual(data)
  })

  it('is one zlib stream whose Adler-32 covers every filtered row', () => {
    const [width, height] = [16, 12]
    const png = assembleBandedPng(width, height, encodeAll(pixels(width, height), width, height, 5))
    const idat: Buffer[] = []
    for (let at = 8; at < png.length;) {
      const length = new DataView(png.buffer).getUint32(at)
      if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === 'IDAT') idat.push(Buffer.from(png.subarray(at + 8, at + 8 + length)))
      at += 12 + length
    }
    const filtered = inflateSync(Buffer.concat(idat))
    expect(filtered.length).toBe(height * (width * 4 + 1))
    // Each band's first row is filtered Sub (1), every other row Up (2).
    const types = Array.from({ length: height }, (_, y) => filtered[y * (width * 4 + 1)])
    expect(types).toEqual([1, 2, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2])
  })

  it('combines Adler-32s as the checksum of the joined bytes', () => {
    const bytes = new Uint8Array(pixels(300, 100).buffer)
    for (const split of [0, 1, 5551, 5552, 65521, 70000, bytes.length]) {
      const [first, second] = [bytes.subarray(0, split), bytes.subarray(split)]
      expect(combineAdler32(referenceAdler32(first), referenceAdler32(second), second.length)).toBe(referenceAdler32(bytes))
    }
  })

  it('sizes bands at about 256 kB of rows', () => {
    expect(bandRowsFor(4096)).toBe(16)
    expect(bandRowsFor(1000)).toBe(66)
    expect(bandRowsFor(100_000)).toBe(1)
  })
})
