/**
 * The PNG chunk walker at every edge it draws, on hand-built files (pixel data is not inflated
 * here): each refusal with its exact reason, the neighbouring valid file accepted, and the number
 * of bytes the pixel data must inflate to for every colour type, depth and interlace.
 */
import { describe, expect, it } from 'vitest'
import { isPng, pngHeaderSize, readPngLayout } from '../../relay/images/read-png-layout'
import { concatBytes } from '../support/concat-bytes'
import { idat, iend, ihdr, ihdrData, png, pngChunk } from './png'

const refused = (why: string): string => `Image 1 is not a complete PNG image (${why}).`
const read = (bytes: Uint8Array): ReturnType<typeof readPngLayout> => readPngLayout(bytes, 'Image 1')
const GOOD = png(ihdr(3, 2), idat(), iend())

describe('the signature', () => {
  it('is all eight bytes', () => {
    expect(isPng(GOOD)).toBe(true)
    for (let index = 0; index < 8; index += 1) {
      const wrong = new Uint8Array(GOOD)
      wrong[index] = wrong[index]! ^ 0x01
      expect(isPng(wrong), `byte ${index}`).toBe(false)
      expect(() => read(wrong), `byte ${index}`).toThrow(refused('no PNG signature'))
    }
  })
})

describe('pngHeaderSize', () => {
  it('reads IHDR’s width and height from the first 33 bytes, unsigned', () => {
    expect(pngHeaderSize(GOOD)).toEqual({ width: 3, height: 2 })
    expect(pngHeaderSize(png(ihdr(0x89abcdef, 0xfedcba98)).subarray(0, 33))).toEqual({ width: 0x89abcdef, height: 0xfedcba98 })
  })

  it('answers nothing for fewer than 33 bytes, a length other than 13, or another first chunk', () => {
    expect(pngHeaderSize(png(ihdr(3, 2)).subarray(0, 32))).toBeUndefined()
    expect(pngHeaderSize(png(pngChunk('IHDR', concatBytes([ihdrData(3, 2), new Uint8Array(1)]))))).toBeUndefined()
    expect(pngHeaderSize(png(pngChunk('IHDR', ihdrData(3, 2), { length: 12 })))).toBeUndefined()
    for (const type of ['IHDX', 'XHDR', 'IXDR', 'IHXR', 'ihdr']) {
      expect(pngHeaderSize(png(pngChunk(type, ihdrData(3, 2)))), type).toBeUndefined()
    }
  })
})

describe('the chunks', () => {
  it('are whole: 12 bytes at least, and the data and CRC inside the file', () => {
    expect(read(GOOD)).toMatchObject({ width: 3, height: 2 })
    expect(() => read(png())).toThrow(refused('it ends before IEND'))
    expect(() => read(png(ihdr(3, 2), idat()))).toThrow(refused('it ends before IEND'))
    expect(() => read(concatBytes([png(ihdr(3, 2), idat()), iend().subarray(0, 11)]))).toThrow(refused('it ends before IEND'))
    expect(() => read(concatBytes([png(ihdr(3, 2)), idat([1, 2, 3]).subarray(0, 14)]))).toThrow(
      refused('the IDAT chunk runs past the end of the file')
    )
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('IEND', [], { length: 1 })))).toThrow(
      refused('the IEND chunk runs past the end of the file')
    )
  })

  it('have lengths up to 2³¹ − 1', () => {
    // A length over 2³¹ − 1 (PNG's own limit) runs past the end of any file the relay takes.
    const huge = png(ihdr(3, 2), pngChunk('IDAT', [], { length: 0x80000000 }), iend())
    expect(() => read(huge)).toThrow(refused('the IDAT chunk runs past the end of the file'))
  })

  it('name the chunk when its type is letters, and say "next" otherwise', () => {
    expect(() => read(png(ihdr(3, 2), pngChunk('ID1T', [1], { length: 99 })))).toThrow(
      refused('the next chunk runs past the end of the file')
    )
    expect(() => read(png(ihdr(3, 2), pngChunk('xIDAT', [1], { length: 99 })))).toThrow(
      refused('the xIDA chunk runs past the end of the file')
    )
  })

  it('have a type of four letters', () => {
    for (const type of ['ID1T', 'IDA ', '@DAT', 'IDA[', 'ID`T', 'IDA{']) {
      expect(() => read(png(ihdr(3, 2), pngChunk(type, [1]), idat(), iend())), type).toThrow(refused('a chunk has an invalid type'))
    }
    expect(read(png(ihdr(3, 2), pngChunk('zzZz', [1]), idat(), iend()))).toMatchObject({ width: 3 })
    expect(read(png(ihdr(3, 2), pngChunk('aAAA', [1]), idat(), iend()))).toMatchObject({ width: 3 })
  })

  it('have right CRCs', () => {
    const good = idat([1, 2, 3])
    const crc = new DataView(good.buffer).getUint32(good.length - 4)
    expect(() => read(png(ihdr(3, 2), pngChunk('IDAT', [1, 2, 3], { crc: crc ^ 1 }), iend()))).toThrow(
      refused("the IDAT chunk's CRC does not match")
    )
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('IEND', [], { crc: 0 })))).toThrow(refused("the IEND chunk's CRC does not match"))
  })

  it('use the CRC function they are given, over type and data', () => {
    const calls: Array<[number, number]> = []
    const layout = readPngLayout(GOOD, 'Image 1', (bytes, start, end) => {
      calls.push([start, end])
      return new DataView(bytes.buffer, bytes.byteOffset).getUint32(end)
    })
    expect(layout.width).toBe(3)
    expect(calls).toEqual([
      [12, 29],
      [37, 44],
      [52, 56]
    ])
  })
})

describe('IHDR', () => {
  it('comes first, once, 13 bytes long', () => {
    expect(() => read(png(idat(), ihdr(3, 2), iend()))).toThrow(refused('IHDR is not the first chunk'))
    expect(() => read(png(pngChunk('tEXt', [1]), ihdr(3, 2), idat(), iend()))).toThrow(refused('IHDR is not the first chunk'))
    expect(() => read(png(ihdr(3, 2), ihdr(3, 2), idat(), iend()))).toThrow(refused('a second IHDR chunk'))
    expect(() => read(png(pngChunk('IHDR', ihdrData(3, 2).subarray(0, 12)), idat(), iend()))).toThrow(refused('IHDR has the wrong length'))
    expect(() => read(png(pngChunk('IHDR', concatBytes([ihdrData(3, 2), new Uint8Array(1)])), idat(), iend()))).toThrow(
      refused('IHDR has the wrong length')
    )
  })

  it('declares 1 to 2³¹ − 1 pixels each way', () => {
    const none = refused('IHDR declares no pixels')
    for (const [width, height] of [
      [0, 2],
      [3, 0],
      [0x80000000, 2],
      [3, 0x80000000]
    ] as const) {
      expect(() => read(png(ihdr(width, height), idat(), iend())), `${width}×${height}`).toThrow(none)
    }
    expect(read(png(ihdr(0x7fffffff, 1, { depth: 1, colourType: 0 }), idat(), iend()))).toMatchObject({ width: 0x7fffffff, height: 1 })
    expect(read(png(ihdr(1, 0x7fffffff, { depth: 1, colourType: 0 }), idat(), iend()))).toMatchObject({ width: 1, height: 0x7fffffff })
  })

  const allowed: Array<[number, number[]]> = [
    [0, [1, 2, 4, 8, 16]],
    [2, [8, 16]],
    [3, [1, 2, 4, 8]],
    [4, [8, 16]],
    [6, [8, 16]]
  ]
  it.each(allowed)('colour type %i takes bit depths %j and no other', (colourType, depths) => {
    const before = colourType === 3 ? [pngChunk('PLTE', [0, 0, 0])] : []
    for (const depth of [1, 2, 3, 4, 8, 16, 32]) {
      const bytes = png(ihdr(3, 2, { depth, colourType }), ...before, idat(), iend())
      if (depths.includes(depth)) expect(read(bytes), `depth ${depth}`).toMatchObject({ width: 3, height: 2 })
      else expect(() => read(bytes), `depth ${depth}`).toThrow(refused('IHDR declares an unknown colour type or bit depth'))
    }
  })

  it.each([1, 5, 7, 8])('refuses colour type %i', (colourType) => {
    expect(() => read(png(ihdr(3, 2, { colourType }), idat(), iend()))).toThrow(
      refused('IHDR declares an unknown colour type or bit depth')
    )
  })

  it('declares compression 0, filter 0 and interlace 0 or 1', () => {
    const unknown = refused('IHDR declares an unknown compression, filter or interlace method')
    expect(() => read(png(ihdr(3, 2, { compression: 1 }), idat(), iend()))).toThrow(unknown)
    expect(() => read(png(ihdr(3, 2, { filter: 1 }), idat(), iend()))).toThrow(unknown)
    expect(() => read(png(ihdr(3, 2, { interlace: 2 }), idat(), iend()))).toThrow(unknown)
    expect(read(png(ihdr(3, 2, { interlace: 1 }), idat(), iend()))).toMatchObject({ width: 3 })
  })
})

describe('PLTE, IDAT and IEND', () => {
  it('PLTE comes before the image data, and a palette image needs it', () => {
    expect(() => read(png(ihdr(3, 2, { colourType: 3 }), idat(), iend()))).toThrow(refused('a palette image without PLTE'))
    expect(() => read(png(ihdr(3, 2, { colourType: 3 }), idat(), pngChunk('PLTE', [0, 0, 0]), iend()))).toThrow(
      refused('a palette image without PLTE')
    )
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('PLTE', [0, 0, 0]), iend()))).toThrow(refused('PLTE after the image data'))
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('tEXt', [1]), pngChunk('PLTE', [0, 0, 0]), iend()))).toThrow(
      refused('PLTE after the image data')
    )
    // A suggested palette beside a truecolour image is allowed.
    expect(read(png(ihdr(3, 2), pngChunk('PLTE', [0, 0, 0]), idat(), iend()))).toMatchObject({ width: 3 })
  })

  it('IDAT chunks are consecutive, and their data kept in order (empty ones skipped)', () => {
    expect(() => read(png(ihdr(3, 2), idat([1]), pngChunk('tEXt', [1]), idat([2]), iend()))).toThrow(
      refused('the IDAT chunks are not consecutive')
    )
    const layout = read(png(ihdr(3, 2), idat([1, 2]), idat([]), idat([3]), pngChunk('tEXt', [9]), iend()))
    expect(layout.idat.map((part) => [...part])).toEqual([[1, 2], [3]])
  })

  it('IEND is last, empty, and after the image data', () => {
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('IEND', [0])))).toThrow(refused('IEND is not empty'))
    expect(() => read(concatBytes([GOOD, new Uint8Array(1)]))).toThrow(refused('there are bytes after IEND'))
    expect(() => read(concatBytes([GOOD, iend()]))).toThrow(refused('there are bytes after IEND'))
    expect(() => read(png(ihdr(3, 2), iend()))).toThrow(refused('it has no image data'))
    expect(() => read(png(ihdr(3, 2), pngChunk('tEXt', [1]), iend()))).toThrow(refused('it has no image data'))
  })
})

describe('other chunks', () => {
  it('are skipped when ancillary (bit 5 of the first letter set), refused when critical and unknown', () => {
    expect(read(png(ihdr(3, 2), pngChunk('tEXt', [1]), pngChunk('zzzz', []), idat(), iend()))).toMatchObject({ width: 3 })
    expect(() => read(png(ihdr(3, 2), pngChunk('CgBI', [1]), idat(), iend()))).toThrow(refused('an unknown critical chunk CgBI'))
    expect(() => read(png(ihdr(3, 2), idat(), pngChunk('ZZZZ', []), iend()))).toThrow(refused('an unknown critical chunk ZZZZ'))
  })
})

describe('the bytes the pixel data must inflate to', () => {
  const inflated = (width: number, height: number, options: Parameters<typeof ihdrData>[2] = {}): number => {
    const before = options.colourType === 3 ? [pngChunk('PLTE', [0, 0, 0])] : []
    return read(png(ihdr(width, height, options), ...before, idat(), iend())).inflatedBytes
  }

  it('is a filter byte and the packed pixels a row, for every colour type and depth', () => {
    expect(inflated(3, 2, { depth: 8, colourType: 6 })).toBe(2 * (1 + 12))
    expect(inflated(3, 2, { depth: 16, colourType: 6 })).toBe(2 * (1 + 24))
    expect(inflated(3, 2, { depth: 8, colourType: 2 })).toBe(2 * (1 + 9))
    expect(inflated(3, 2, { depth: 16, colourType: 4 })).toBe(2 * (1 + 12))
    expect(inflated(3, 2, { depth: 8, colourType: 0 })).toBe(2 * (1 + 3))
    expect(inflated(3, 2, { depth: 4, colourType: 3 })).toBe(2 * (1 + 2))
    expect(inflated(13, 3, { depth: 1, colourType: 0 })).toBe(3 * (1 + 2))
    expect(inflated(16, 3, { depth: 1, colourType: 0 })).toBe(3 * (1 + 2))
    expect(inflated(17, 3, { depth: 2, colourType: 0 })).toBe(3 * (1 + 5))
  })

  it('counts each Adam7 pass, skipping passes with no pixels', () => {
    // 1×1: only pass 1 has a pixel.
    expect(inflated(1, 1, { interlace: 1 })).toBe(1 + 4)
    // 8×8 RGBA: passes of 1×1, 1×1, 2×1, 2×2, 4×2, 4×4, 8×4.
    expect(inflated(8, 8, { interlace: 1 })).toBe(1 * 5 + 1 * 5 + 1 * 9 + 2 * 9 + 2 * 17 + 4 * 17 + 4 * 33)
    // 10×13 grey 1-bit: widths 2,1,3,2,5,5,10 and heights 2,2,2,4,3,7,6 (a row's bits round up to bytes).
    expect(inflated(10, 13, { depth: 1, colourType: 0, interlace: 1 })).toBe(2 * 2 + 2 * 2 + 2 * 2 + 4 * 2 + 3 * 2 + 7 * 2 + 6 * 3)
    // 5×1: passes 1, 2 (x from 4), 4 (x from 2) and 6 (x from 1) only.
    expect(inflated(5, 1, { depth: 8, colourType: 0, interlace: 1 })).toBe(2 + 2 + 2 + 3)
    // 1×5: passes 1, 3 (y from 4) and 5 (y from 2) and 7 (y from 1).
    expect(inflated(1, 5, { depth: 8, colourType: 0, interlace: 1 })).toBe(2 + 2 + 2 + 2 * 2)
  })
})
