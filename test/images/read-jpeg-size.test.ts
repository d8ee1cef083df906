/**
 * The JPEG marker walker at every edge it draws, on hand-built files: each refusal with its exact
 * reason, and the neighbouring valid file accepted.
 */
import { describe, expect, it } from 'vitest'
import { isJpeg, readJpegSize } from '../../relay/images/read-jpeg-size'
import { concatBytes } from '../support/concat-bytes'

const refused = (why: string): string => `Image 2 is not a complete JPEG image (${why}).`
const read = (bytes: Uint8Array): { width: number; height: number } => readJpegSize(bytes, 'Image 2')
const bytes = (...parts: Array<number[] | Uint8Array>): Uint8Array => concatBytes(parts.map((part) => new Uint8Array(part)))

const SOI = [0xff, 0xd8]
const EOI = [0xff, 0xd9]

/** A marker segment: FF, marker, 16-bit big-endian length (payload + 2, or `length`), payload. */
const segment = (marker: number, payload: number[], length = payload.length + 2): number[] => [
  0xff,
  marker,
  length >> 8,
  length & 0xff,
  ...payload
]

/** SOFn for `width`×`height` with `components` components (3 bytes each). */
const frame = (width: number, height: number, components = 1, marker = 0xc0): number[] =>
  segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components, ...Array<number>(3 * components).fill(1)])

/** SOS for `components` components, then entropy-coded `data`. */
const scan = (data: number[] = [0x12, 0x34], components = 1): number[] => [
  ...segment(0xda, [components, ...Array<number>(2 * components).fill(0), 0, 63, 0]),
  ...data
]

const jpeg = (...parts: number[][]): Uint8Array => bytes(SOI, ...parts, EOI)
const GOOD = jpeg(frame(3, 2), scan())

describe('the start and the markers', () => {
  it('starts with SOI and a marker', () => {
    expect(isJpeg(GOOD)).toBe(true)
    for (const index of [0, 1, 2]) {
      const wrong = new Uint8Array(GOOD)
      wrong[index] = 0x00
      expect(isJpeg(wrong), `byte ${index}`).toBe(false)
      expect(() => read(wrong), `byte ${index}`).toThrow(refused('no SOI marker'))
    }
  })

  it('reads the frame size big-endian', () => {
    expect(read(GOOD)).toEqual({ width: 3, height: 2 })
    expect(read(jpeg(frame(0x1234, 0xabcd, 3), scan([1], 3)))).toEqual({ width: 0x1234, height: 0xabcd })
  })

  it('takes fill bytes before a marker, EOI included', () => {
    expect(read(bytes(SOI, [0xff, 0xff], frame(3, 2), scan([1, 2]), [0xff, 0xff, 0xff], EOI))).toEqual({ width: 3, height: 2 })
  })

  it('needs a marker after each segment', () => {
    expect(() => read(bytes(SOI, frame(3, 2), [0x00], scan(), EOI))).toThrow(refused('a marker is missing where one must be'))
    // A segment that ends exactly at the end of the file leaves no marker.
    expect(() => read(bytes(SOI, frame(3, 2)))).toThrow(refused('a marker is missing where one must be'))
  })

  it('ends with EOI', () => {
    const before = refused('it ends before EOI')
    expect(() => read(bytes(SOI, frame(3, 2), [0xff]))).toThrow(before)
    expect(() => read(bytes(SOI, frame(3, 2), [0xff, 0xff]))).toThrow(before)
    // A marker whose length is cut after one byte.
    expect(() => read(bytes(SOI, frame(3, 2), [0xff, 0xe0, 0x00]))).toThrow(before)
    expect(() => read(bytes(SOI, frame(3, 2), [0xff, 0xe0]))).toThrow(before)
  })

  it.each([
    ['SOI again', 0xd8],
    ['TEM-like 0x01', 0x01],
    ['a stuffed zero', 0x00],
    ['RST0', 0xd0],
    ['RST5', 0xd5],
    ['RST7', 0xd7]
  ])('refuses %s where a segment belongs', (_name, marker) => {
    expect(() => read(bytes(SOI, frame(3, 2), [0xff, marker, 0x00, 0x02], scan(), EOI))).toThrow(refused('a marker out of place'))
  })

  it.each([
    ['0x02', 0x02],
    ['0xe0 (APP0)', 0xe0],
    ['0xfe (COM)', 0xfe],
    ['0xdb (DQT)', 0xdb]
  ])('takes a segment with marker %s', (_name, marker) => {
    expect(read(bytes(SOI, frame(3, 2), segment(marker, [1, 2, 3]), scan(), EOI))).toEqual({ width: 3, height: 2 })
  })
})

describe('segment lengths', () => {
  it('count their own two bytes and fit in the file', () => {
    const past = refused('a segment runs past the end of the file')
    expect(() => read(bytes(SOI, segment(0xe0, [], 0), frame(3, 2), scan(), EOI))).toThrow(past)
    expect(() => read(bytes(SOI, segment(0xe0, [], 1), frame(3, 2), scan(), EOI))).toThrow(past)
    expect(read(bytes(SOI, segment(0xe0, [], 2), frame(3, 2), scan(), EOI))).toEqual({ width: 3, height: 2 })
    // A file cut right after a segment's length.
    expect(() => read(bytes(SOI, frame(3, 2), scan(), [0xff, 0xe0, 0x00, 0x10]))).toThrow(past)
    // One byte longer than what is left.
    const tail = bytes(SOI, frame(3, 2), scan(), [0xff, 0xe0, 0x00, 0x05, 1, 2])
    expect(() => read(tail)).toThrow(past)
    expect(() => read(bytes(SOI, [0xff, 0xe0, 0xff, 0xff], frame(3, 2), scan(), EOI))).toThrow(past)
  })
})

describe('the frame header', () => {
  it.each([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])('is SOF marker 0x%s', (marker) => {
    expect(read(jpeg(frame(5, 7, 1, marker), scan()))).toEqual({ width: 5, height: 7 })
  })

  it.each([
    ['DHT', 0xc4],
    ['JPG (reserved)', 0xc8],
    ['DAC', 0xcc]
  ])('is not %s, which only look like one', (_name, marker) => {
    expect(() => read(jpeg(frame(5, 7, 1, marker), scan()))).toThrow(refused('a scan before the frame header'))
  })

  it('comes once', () => {
    expect(() => read(jpeg(frame(3, 2), frame(3, 2), scan()))).toThrow(refused('a second frame header'))
    expect(() => read(jpeg(frame(3, 2), scan(), frame(3, 2, 1, 0xc2), scan()))).toThrow(refused('a second frame header'))
  })

  it('has a length of 8 + 3 a component, and at least one component', () => {
    const malformed = refused('the frame header is malformed')
    expect(() => read(jpeg(frame(3, 2, 0), scan()))).toThrow(malformed)
    const long = frame(3, 2, 1)
    expect(() => read(jpeg(segment(0xc0, [...long.slice(4), 0]), scan()))).toThrow(malformed)
    expect(() => read(jpeg(segment(0xc0, long.slice(4, -1)), scan()))).toThrow(malformed)
    expect(() => read(jpeg(segment(0xc0, long.slice(4, 9)), scan()))).toThrow(malformed)
    expect(() => read(jpeg(segment(0xc0, []), scan()))).toThrow(malformed)
    // A frame header at the very end of the file, with no component count to read.
    expect(() => read(bytes(SOI, segment(0xc0, [8, 0, 2])))).toThrow(malformed)
    expect(read(jpeg(frame(3, 2, 4), scan([1], 4)))).toEqual({ width: 3, height: 2 })
  })

  it('declares pixels (height 0, deferred to DNL, is refused)', () => {
    const none = refused('the frame header declares no pixels')
    expect(() => read(jpeg(frame(0, 2), scan()))).toThrow(none)
    expect(() => read(jpeg(frame(3, 0), scan()))).toThrow(none)
    expect(read(jpeg(frame(1, 1), scan()))).toEqual({ width: 1, height: 1 })
  })
})

describe('the scans', () => {
  it('come after the frame header', () => {
    expect(() => read(jpeg(scan(), frame(3, 2)))).toThrow(refused('a scan before the frame header'))
  })

  it('have a length of 6 + 2 a component, and at least one component', () => {
    const malformed = refused('a scan header is malformed')
    expect(() => read(jpeg(frame(3, 2), scan([1], 0)))).toThrow(malformed)
    expect(() => read(jpeg(frame(3, 2), [...segment(0xda, [1, 0, 0, 0, 63, 0, 0]), 1]))).toThrow(malformed)
    expect(() => read(jpeg(frame(3, 2), [...segment(0xda, [1, 0, 0, 0, 63]), 1]))).toThrow(malformed)
    expect(read(jpeg(frame(3, 2, 3), scan([1], 3)))).toEqual({ width: 3, height: 2 })
  })

  it('are followed by entropy-coded data', () => {
    const noData = refused('a scan has no image data')
    expect(() => read(jpeg(frame(3, 2), scan([])))).toThrow(noData)
    expect(() => read(jpeg(frame(3, 2), scan([0xff])))).toThrow(noData)
    expect(read(jpeg(frame(3, 2), scan([0x00])))).toEqual({ width: 3, height: 2 })
  })

  it('run over stuffed bytes and restart markers to the next marker', () => {
    expect(read(jpeg(frame(3, 2), scan([0xff, 0x00, 1, 0xff, 0xd0, 2, 0xff, 0xd7, 3])))).toEqual({ width: 3, height: 2 })
    // Data that is only stuffed bytes or restart markers is data.
    expect(read(jpeg(frame(3, 2), scan([0xff, 0x00])))).toEqual({ width: 3, height: 2 })
    expect(read(jpeg(frame(3, 2), scan([0xff, 0xd3])))).toEqual({ width: 3, height: 2 })
    // RST markers end at 0xd7: 0xd8 after the data is a marker out of place, 0xcf a second frame.
    expect(() => read(jpeg(frame(3, 2), scan([1, 0xff, 0xd8])))).toThrow(refused('a marker out of place'))
    expect(() => read(jpeg(frame(3, 2), scan([1, 0xff, 0xcf, 0, 2])))).toThrow(refused('a second frame header'))
  })

  it('do not end the file', () => {
    const inside = refused('it ends inside the image data')
    expect(() => read(bytes(SOI, frame(3, 2), scan([1, 2, 3])))).toThrow(inside)
    expect(() => read(bytes(SOI, frame(3, 2), scan([1, 2, 0xff])))).toThrow(inside)
    expect(() => read(bytes(SOI, frame(3, 2), scan([1, 0xff, 0x00, 2])))).toThrow(inside)
  })

  it('may be many (progressive), each with data', () => {
    expect(read(jpeg(frame(3, 2, 1, 0xc2), scan([1]), segment(0xc4, [0]), scan([2]), scan([3])))).toEqual({ width: 3, height: 2 })
    expect(() => read(jpeg(frame(3, 2, 1, 0xc2), scan([1]), scan([])))).toThrow(refused('a scan has no image data'))
  })
})

describe('EOI', () => {
  it('comes after a frame header and a scan', () => {
    const noData = refused('it has no image data')
    expect(() => read(bytes(SOI, EOI))).toThrow(noData)
    expect(() => read(jpeg(frame(3, 2)))).toThrow(noData)
    expect(() => read(jpeg(segment(0xe0, [1])))).toThrow(noData)
  })

  it('may be followed by anything: padding, a trailer, even a marker', () => {
    expect(read(concatBytes([GOOD, new Uint8Array(3)]))).toEqual({ width: 3, height: 2 })
    expect(read(concatBytes([GOOD, new Uint8Array([0xff, 0xd8, 0xff, 0x00])]))).toEqual({ width: 3, height: 2 })
  })
})
