import { AppError } from '../../shared/errors'
import { crc32 as portableCrc32 } from './crc32'

/** What a PNG's chunks say, once they are known to be whole: enough to check the pixel data. */
export interface PngLayout {
  width: number
  height: number
  /** Bytes the IDAT stream must inflate to: every scanline with its filter byte, per pass. */
  inflatedBytes: number
  /** The IDAT chunks' data, in order (views into the file, not copies). */
  idat: Uint8Array[]
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Samples per pixel, and the bit depths each colour type allows (PNG spec §11.2.2, table 11.1). */
const COLOUR_TYPES: Record<number, { channels: number; depths: readonly number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] }
}

/** Adam7 passes: x start, y start, x step, y step (PNG spec §8.2). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
] as const

const KNOWN_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND'])

function u32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0
}

function rowBytes(width: number, bitsPerPixel: number): number {
  return 1 + Math.ceil((width * bitsPerPixel) / 8)
}

function inflatedSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  if (!interlaced) return height * rowBytes(width, bitsPerPixel)
  let total = 0
  for (const [x0, y0, dx, dy] of ADAM7) {
    const passWidth = Math.ceil((width - x0) / dx)
    const passHeight = Math.ceil((height - y0) / dy)
    // A pass with no pixels has no scanlines at all, not even filter bytes (PNG spec §8.2); one
    // with no rows adds none already.
    if (passWidth > 0) total += passHeight * rowBytes(passWidth, bitsPerPixel)
  }
  return total
}

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((byte, index) => bytes[index] === byte)
}

/** Width and height from IHDR, read before anything else so an oversized claim is refused cheaply. */
export function pngHeaderSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 33 || u32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined
  return { width: u32(bytes, 16), height: u32(bytes, 20) }
}

/**
 * Walks every chunk (PNG spec §5.3, §5.6): lengths inside the file, CRCs right, IHDR first and
 * valid, PLTE before IDAT for palette images, IDAT chunks consecutive, IEND last with nothing after
 * it, no critical chunk a decoder would not know. Throws `invalid_image` naming `label`.
 */
export function readPngLayout(
  bytes: Uint8Array,
  label: string,
  crc32: (bytes: Uint8Array, start: number, end: number) => number = portableCrc32
): PngLayout {
  const broken = (why: string): AppError => new AppError('invalid_image', `${label} is not a complete PNG image (${why}).`)
  if (!isPng(bytes)) throw broken('no PNG signature')
  let offset = 8
  let header: { width: number; height: number; bitsPerPixel: number; interlaced: boolean; colourType: number } | undefined
  let sawPalette = false
  let idatState: 'before' | 'in' | 'after' = 'before'
  const idat: Uint8Array[] = []
  for (;;) {
    if (offset + 12 > bytes.length) throw broken('it ends before IEND')
    const length = u32(bytes, offset)
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!)
    const dataStart = offset + 8
    const dataEnd = dataStart + length
    // PNG's own limit on a length, 2^31 − 1 (spec §5.3), lies far past the end of any file the relay takes.
    if (dataEnd + 4 > bytes.length) throw broken(`the ${/^[A-Za-z]+$/.test(type) ? type : 'next'} chunk runs past the end of the file`)
    // A type is 4 bytes, each a letter.
    if (!/^[A-Za-z]+$/.test(type)) throw broken('a chunk has an invalid type')
    if (crc32(bytes, offset + 4, dataEnd) !== u32(bytes, dataEnd)) throw broken(`the ${type} chunk's CRC does not match`)
    if (header === undefined && type !== 'IHDR') throw broken('IHDR is not the first chunk')
    if (idatState === 'in' && type !== 'IDAT') idatState = 'after'
    switch (type) {
      case 'IHDR': {
        if (header !== undefined) throw broken('a second IHDR chunk')
        if (length !== 13) throw broken('IHDR has the wrong length')
        const width = u32(bytes, dataStart)
        const height = u32(bytes, dataStart + 4)
        const depth = bytes[dataStart + 8]!
        const colourType = bytes[dataStart + 9]!
        const colour = COLOUR_TYPES[colourType]
        if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw broken('IHDR declares no pixels')
        if (colour === undefined || !colour.depths.includes(depth)) throw broken('IHDR declares an unknown colour type or bit depth')
        if (bytes[dataStart + 10] !== 0 || bytes[dataStart + 11] !== 0 || bytes[dataStart + 12]! > 1)
          throw broken('IHDR declares an unknown compression, filter or interlace method')
        header = { width, height, bitsPerPixel: colour.channels * depth, interlaced: bytes[dataStart + 12] === 1, colourType }
        break
      }
      case 'PLTE':
        if (idatState !== 'before') throw broken('PLTE after the image data')
        sawPalette = true
        break
      case 'IDAT':
        if (idatState === 'after') throw broken('the IDAT chunks are not consecutive')
        if (header!.colourType === 3 && !sawPalette) throw broken('a palette image without PLTE')
        idatState = 'in'
        if (length > 0) idat.push(bytes.subarray(dataStart, dataEnd))
        break
      case 'IEND':
        if (length !== 0) throw broken('IEND is not empty')
        if (dataEnd + 4 !== bytes.length) throw broken('there are bytes after IEND')
        if (idatState === 'before') throw broken('it has no image data')
        return {
          width: header!.width,
          height: header!.height,
          inflatedBytes: inflatedSize(header!.width, header!.height, header!.bitsPerPixel, header!.interlaced),
          idat
        }
      default:
        // Bit 5 of the first byte clear marks a critical chunk, which a decoder must refuse if unknown (§5.4).
        if ((bytes[offset + 4]! & 0x20) === 0 && !KNOWN_CRITICAL.has(type)) throw broken(`an unknown critical chunk ${type}`)
    }
    offset = dataEnd + 4
  }
}
