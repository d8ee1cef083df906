/**
 * The WebP walker at every edge it draws, on hand-built files: each refusal with its exact reason,
 * and the file one byte either side of it accepted.
 */
import { describe, expect, it } from 'vitest'
import { isWebp, readWebpSize } from '../../relay/images/read-webp-size'
import { concatBytes } from '../support/concat-bytes'
import { ANIMATED, anim, anmf, chunk, riffChunk, vp8, vp8l, vp8x, webpFile, webpOf } from './riff'

const refused = (why: string): string => `Frame 1 is not a complete WebP image (${why}).`
const read = (bytes: Uint8Array): { width: number; height: number } => readWebpSize(bytes, 'Frame 1')

describe('the RIFF header', () => {
  it('is 12 bytes: RIFF, a size, WEBP', () => {
    const header = webpFile(new Uint8Array(0))
    expect(isWebp(header)).toBe(true)
    expect(isWebp(header.subarray(0, 11))).toBe(false)
    expect(() => read(header.subarray(0, 11))).toThrow(refused('no RIFF/WEBP header'))
    for (const index of [0, 1, 2, 3, 8, 9, 10, 11]) {
      const wrong = new Uint8Array(header)
      wrong[index] = 0x20
      expect(isWebp(wrong), `byte ${index}`).toBe(false)
    }
    expect(() => read(header)).toThrow(refused('it has no chunks'))
  })

  it('has a RIFF size that is exactly the file’s, neither short (truncated) nor long', () => {
    const body = riffChunk(vp8(3, 2))
    expect(read(webpFile(body))).toEqual({ width: 3, height: 2 })
    expect(() => read(webpFile(body, body.length + 3))).toThrow(
      refused(`its RIFF size says ${body.length + 11} bytes but it has ${body.length + 12}`)
    )
    expect(() => read(webpFile(body, body.length + 5))).toThrow(
      refused(`its RIFF size says ${body.length + 13} bytes but it has ${body.length + 12}`)
    )
    expect(() => read(webpFile(body, 0))).toThrow(refused(`its RIFF size says 8 bytes but it has ${body.length + 12}`))
    // A size with the top bit set is read unsigned, not as a negative number.
    expect(() => read(webpFile(body, 0x80000000))).toThrow(refused(`its RIFF size says ${0x80000008} bytes but it has ${body.length + 12}`))
  })
})

describe('the chunks', () => {
  it('each have an 8-byte header', () => {
    const whole = riffChunk(vp8(3, 2))
    for (const extra of [1, 7]) {
      expect(() => read(webpFile(concatBytes([whole, new Uint8Array(extra)])))).toThrow(refused('a chunk header is cut short'))
    }
    // Exactly 8 more bytes is a whole (empty) chunk.
    expect(read(webpFile(concatBytes([whole, riffChunk(chunk('EXIF', 0))])))).toEqual({ width: 3, height: 2 })
  })

  it('fit in the file, and an odd-sized one is padded', () => {
    const frame = vp8(3, 2)
    expect(() => read(webpFile(riffChunk(frame, { size: frame.data.length + 1 })))).toThrow(
      refused('a chunk runs past the end of the file')
    )
    const odd = vp8(3, 2, { tail: 3 })
    expect(odd.data.length % 2).toBe(1)
    expect(read(webpOf(odd))).toEqual({ width: 3, height: 2 })
    expect(() => read(webpFile(riffChunk(odd, { pad: false })))).toThrow(refused('the last chunk lacks its pad byte'))
    // A size near 2³² is read unsigned and runs past the end.
    expect(() => read(webpFile(riffChunk(frame, { size: 0xfffffff0 })))).toThrow(refused('a chunk runs past the end of the file'))
  })

  it('begin with image data or VP8X', () => {
    expect(() => read(webpOf(chunk('ALPH', 4)))).toThrow(refused('a ALPH chunk where image data belongs'))
    expect(() => read(webpOf(chunk('ICC ', 4)))).toThrow(refused('a ICC chunk where image data belongs'))
  })
})

describe('a VP8 (lossy) bitstream', () => {
  it('has a 10-byte frame header', () => {
    const header = vp8(3, 2).data
    expect(() => read(webpOf({ fourCc: 'VP8 ', data: header.subarray(0, 9) }))).toThrow(refused('the VP8 frame header is cut short'))
    expect(() => read(webpOf({ fourCc: 'VP8 ', data: header.subarray(0, 10) }))).toThrow(refused('the VP8 chunk has no image data'))
  })

  it('starts with a key frame: tag bit 0 clear and the start code 9d 01 2a', () => {
    const notKey = refused('the VP8 chunk does not start with a key frame')
    expect(() => read(webpOf(vp8(3, 2, { tag: (4 << 5) | 1 })))).toThrow(notKey)
    for (const index of [3, 4, 5]) {
      const frame = vp8(3, 2)
      frame.data[index] = frame.data[index]! ^ 0x80
      expect(() => read(webpOf(frame)), `byte ${index}`).toThrow(notKey)
    }
  })

  it('has a first partition and at least one byte after it', () => {
    const noData = refused('the VP8 chunk has no image data')
    expect(() => read(webpOf(vp8(3, 2, { partition: 0, tail: 4 })))).toThrow(noData)
    expect(() => read(webpOf(vp8(3, 2, { partition: 4, tail: 0 })))).toThrow(noData)
    expect(read(webpOf(vp8(3, 2, { partition: 4, tail: 1 })))).toEqual({ width: 3, height: 2 })
    // The partition size is bits 5–23 of the tag: a large one is read whole.
    expect(() => read(webpOf(vp8(3, 2, { partition: 4, tail: 2, tag: (0x40000 << 5) | 0x10 })))).toThrow(noData)
    expect(read(webpOf(vp8(3, 2, { partition: 300, tail: 1 })))).toEqual({ width: 3, height: 2 })
  })

  it('declares a 14-bit width and height (the scale bits above them are not size)', () => {
    expect(read(webpOf(vp8(0x3fff, 0x2345)))).toEqual({ width: 0x3fff, height: 0x2345 })
    expect(read(webpOf(vp8(0xc000 | 300, 0x4000 | 0x1ff)))).toEqual({ width: 300, height: 0x1ff })
  })

  it('declares pixels in both directions', () => {
    const none = refused('the bitstream declares no pixels')
    expect(() => read(webpOf(vp8(0, 2)))).toThrow(none)
    expect(() => read(webpOf(vp8(3, 0)))).toThrow(none)
    expect(() => read(webpOf(vp8(0xc000, 2)))).toThrow(none)
    expect(read(webpOf(vp8(1, 1)))).toEqual({ width: 1, height: 1 })
  })
})

describe('a VP8L (lossless) bitstream', () => {
  it('has a 5-byte header starting 0x2f, then data', () => {
    const header = vp8l(3, 2).data
    expect(() => read(webpOf({ fourCc: 'VP8L', data: header.subarray(0, 4) }))).toThrow(refused('the VP8L chunk has no lossless header'))
    const wrongSignature = vp8l(3, 2)
    wrongSignature.data[0] = 0x2e
    expect(() => read(webpOf(wrongSignature))).toThrow(refused('the VP8L chunk has no lossless header'))
    expect(() => read(webpOf(vp8l(3, 2, { tail: 0 })))).toThrow(refused('the VP8L chunk has no image data'))
    expect(read(webpOf(vp8l(3, 2, { tail: 1 })))).toEqual({ width: 3, height: 2 })
  })

  it('has version 0', () => {
    for (const version of [1, 4, 7]) {
      expect(() => read(webpOf(vp8l(3, 2, { version }))), `version ${version}`).toThrow(refused('the VP8L chunk has an unknown version'))
    }
  })

  it('declares 14-bit width−1 and height−1; the alpha bit is not size', () => {
    expect(read(webpOf(vp8l(16384, 16384, { alpha: true })))).toEqual({ width: 16384, height: 16384 })
    expect(read(webpOf(vp8l(1, 1)))).toEqual({ width: 1, height: 1 })
    expect(read(webpOf(vp8l(0x2abc, 0x1def, { alpha: true })))).toEqual({ width: 0x2abc, height: 0x1def })
  })
})

describe('the extended format (VP8X)', () => {
  it('has a 10-byte VP8X chunk giving a 24-bit canvas size', () => {
    expect(() => read(webpOf({ fourCc: 'VP8X', data: vp8x(0, 3, 2).data.subarray(0, 9) }))).toThrow(refused('the VP8X chunk is cut short'))
    expect(read(webpOf(vp8x(0, 3, 2), vp8(3, 2)))).toEqual({ width: 3, height: 2 })
    // A longer VP8X chunk is read from the same offsets.
    expect(read(webpOf(vp8x(0x10, 3, 2, 4), vp8(3, 2)))).toEqual({ width: 3, height: 2 })
    expect(() => read(webpOf(vp8x(0, 0x10203, 0x30405), vp8(3, 2)))).toThrow(
      refused(`the bitstream is 3×2 but the frame is ${0x10203}×${0x30405}`)
    )
  })

  it('has exactly one bitstream, the canvas’s size', () => {
    expect(() => read(webpOf(vp8x(0, 3, 2)))).toThrow(refused('it has no image data'))
    expect(() => read(webpOf(vp8x(0, 3, 2), chunk('EXIF', 2)))).toThrow(refused('it has no image data'))
    expect(() => read(webpOf(vp8x(0, 3, 2), vp8(3, 2), vp8l(3, 2)))).toThrow(refused('a frame has more than one bitstream'))
    expect(() => read(webpOf(vp8x(0, 3, 2), vp8(3, 2), vp8(3, 2)))).toThrow(refused('a frame has more than one bitstream'))
    expect(() => read(webpOf(vp8x(0, 4, 2), vp8(3, 2)))).toThrow(refused('the bitstream is 3×2 but the frame is 4×2'))
    expect(() => read(webpOf(vp8x(0, 3, 3), vp8(3, 2)))).toThrow(refused('the bitstream is 3×2 but the frame is 3×3'))
    expect(() => read(webpOf(vp8x(0, 3, 2), vp8(3, 2, { partition: 0 })))).toThrow(refused('the VP8 chunk has no image data'))
    expect(read(webpOf(vp8x(0, 3, 2), chunk('ICCP', 3), vp8l(3, 2), chunk('EXIF', 1)))).toEqual({ width: 3, height: 2 })
  })

  it('needs alpha data in ALPH beside VP8 (VP8L carries its own)', () => {
    expect(() => read(webpOf(vp8x(0x10, 3, 2), chunk('ALPH', 0), vp8(3, 2)))).toThrow(refused('the ALPH chunk is empty'))
    expect(() => read(webpOf(vp8x(0x10, 3, 2), chunk('ALPH', 1), vp8(3, 2)))).toThrow(refused('the ALPH chunk is empty'))
    expect(read(webpOf(vp8x(0x10, 3, 2), chunk('ALPH', 2), vp8(3, 2)))).toEqual({ width: 3, height: 2 })
    expect(read(webpOf(vp8x(0x10, 3, 2), chunk('ALPH', 0), vp8l(3, 2)))).toEqual({ width: 3, height: 2 })
  })

  it('asks nothing of the other chunks beside VP8, however small', () => {
    expect(read(webpOf(vp8x(0, 3, 2), chunk('ICCP', 0), vp8(3, 2)))).toEqual({ width: 3, height: 2 })
    expect(read(webpOf(vp8x(0x10, 3, 2), chunk('EXIF', 1), chunk('ALPH', 2), vp8(3, 2)))).toEqual({ width: 3, height: 2 })
  })
})

describe('an animation', () => {
  const frame = { x: 0, y: 0, width: 3, height: 2 }

  it('is marked by flag bit 1 alone', () => {
    // Other flags (alpha, ICC, EXIF, XMP) leave a still image, which needs its bitstream.
    expect(() => read(webpOf(vp8x(0x3d, 3, 2), anim(), anmf(frame, vp8(3, 2))))).toThrow(refused('it has no image data'))
    expect(read(webpOf(vp8x(ANIMATED | 0x10, 3, 2), anim(), anmf(frame, vp8(3, 2))))).toEqual({ width: 3, height: 2 })
  })

  it('has an ANIM chunk of at least 6 bytes', () => {
    const noAnim = refused('an animation without an ANIM chunk')
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anmf(frame, vp8(3, 2))))).toThrow(noAnim)
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anim(5), anmf(frame, vp8(3, 2))))).toThrow(noAnim)
    expect(read(webpOf(vp8x(ANIMATED, 3, 2), anim(6), anmf(frame, vp8(3, 2))))).toEqual({ width: 3, height: 2 })
    expect(read(webpOf(vp8x(ANIMATED, 3, 2), anim(5), anim(6), anmf(frame, vp8(3, 2))))).toEqual({ width: 3, height: 2 })
  })

  it('has frames', () => {
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anim()))).toThrow(refused('an animation without frames'))
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anim(), vp8(3, 2)))).toThrow(refused('an animation without frames'))
  })

  it('has frames with a 16-byte header', () => {
    const header = anmf(frame).data
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anim(), { fourCc: 'ANMF', data: header.subarray(0, 15) }))).toThrow(
      refused('an ANMF chunk is cut short')
    )
    expect(() => read(webpOf(vp8x(ANIMATED, 3, 2), anim(), { fourCc: 'ANMF', data: header }))).toThrow(refused('it has no image data'))
  })

  it('checks every frame’s bitstream against that frame’s size', () => {
    const small = { x: 2, y: 2, width: 1, height: 1 }
    expect(read(webpOf(vp8x(ANIMATED, 4, 4), anim(), anmf(small, vp8l(1, 1)), anmf({ ...frame, y: 2 }, vp8(3, 2))))).toEqual({
      width: 4,
      height: 4
    })
    expect(() => read(webpOf(vp8x(ANIMATED, 4, 4), anim(), anmf(small, vp8l(1, 1)), anmf(frame, vp8(3, 3))))).toThrow(
      refused('the bitstream is 3×3 but the frame is 3×2')
    )
    expect(() => read(webpOf(vp8x(ANIMATED, 4, 4), anim(), anmf(small, vp8l(1, 1)), anmf(frame)))).toThrow(refused('it has no image data'))
    const cut = anmf(frame, vp8(3, 2))
    expect(() => read(webpOf(vp8x(ANIMATED, 4, 4), anim(), { fourCc: 'ANMF', data: cut.data.subarray(0, cut.data.length - 1) }))).toThrow(
      refused('a chunk runs past the end of the file')
    )
  })

  it('keeps every frame inside the canvas, touching its edges allowed', () => {
    const outside = refused('a frame lies outside the canvas')
    const canvas = (...frames: Array<{ x: number; y: number; width: number; height: number }>): Uint8Array =>
      webpOf(vp8x(ANIMATED, 6, 4), anim(), ...frames.map((at) => anmf(at, vp8l(at.width, at.height))))
    expect(read(canvas({ x: 4, y: 2, width: 2, height: 2 }))).toEqual({ width: 6, height: 4 })
    expect(read(canvas({ x: 0, y: 0, width: 6, height: 4 }))).toEqual({ width: 6, height: 4 })
    expect(() => read(canvas({ x: 4, y: 2, width: 3, height: 2 }))).toThrow(outside)
    expect(() => read(canvas({ x: 4, y: 2, width: 2, height: 3 }))).toThrow(outside)
    expect(() => read(canvas({ x: 6, y: 0, width: 1, height: 1 }))).toThrow(outside)
    expect(() => read(canvas({ x: 0, y: 4, width: 1, height: 1 }))).toThrow(outside)
    expect(() => read(canvas({ x: 0, y: 0, width: 7, height: 4 }))).toThrow(outside)
    expect(() => read(canvas({ x: 0, y: 0, width: 6, height: 5 }))).toThrow(outside)
    expect(() => read(canvas({ x: 0, y: 0, width: 6, height: 4 }, { x: 2, y: 2, width: 4, height: 4 }))).toThrow(outside)
  })
})
