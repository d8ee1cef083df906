import { describe, expect, it } from 'vitest'
import { readPngSize } from '../../shared/read-png-size'
import { makePng } from '../fakes/make-image'

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** The signature, then an IHDR whose width and height are the given words; 24 bytes in all. */
function header(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(24)
  bytes.set(SIGNATURE)
  const view = new DataView(bytes.buffer)
  view.setUint32(16, width)
  view.setUint32(20, height)
  return bytes
}

describe('reading a PNG’s size', () => {
  it('reads width and height from a real PNG', () => {
    expect(readPngSize(makePng(37, 5))).toEqual({ width: 37, height: 5 })
  })

  it('reads a header just long enough, and sizes that need every byte of the word', () => {
    expect(readPngSize(header(0x01020304, 0xfffffffe))).toEqual({ width: 0x01020304, height: 0xfffffffe })
  })

  it('reads bytes that sit inside a larger buffer', () => {
    const png = makePng(3, 4)
    const padded = new Uint8Array(png.length + 10)
    padded.set(png, 10)
    expect(readPngSize(padded.subarray(10))).toEqual({ width: 3, height: 4 })
  })

  it('refuses bytes one short of the header', () => {
    expect(readPngSize(header(1, 1).subarray(0, 23))).toBeUndefined()
  })

  it.each(SIGNATURE.map((_, index) => index))('refuses a signature with byte %i wrong', (index) => {
    const bytes = header(1, 1)
    bytes[index] = bytes[index]! ^ 0xff
    expect(readPngSize(bytes)).toBeUndefined()
  })

  it('refuses a zero width or height', () => {
    expect(readPngSize(header(0, 1))).toBeUndefined()
    expect(readPngSize(header(1, 0))).toBeUndefined()
    expect(readPngSize(header(1, 1))).toEqual({ width: 1, height: 1 })
  })
})
