import { crc32 } from 'node:zlib'
import { concatBytes } from '../support/concat-bytes'

/** Hand-built PNG files, chunk by chunk, with right CRCs unless asked otherwise. */

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

const ascii = (text: string): Uint8Array => new Uint8Array([...text].map((char) => char.charCodeAt(0)))

/** A chunk: length (or `length`), type, data, CRC over type and data (or `crc`). */
export function pngChunk(type: string, data: Uint8Array | number[] = [], options: { length?: number; crc?: number } = {}): Uint8Array {
  const body = concatBytes([ascii(type), new Uint8Array(data)])
  const out = new Uint8Array(body.length + 8)
  const view = new DataView(out.buffer)
  view.setUint32(0, options.length ?? body.length - 4)
  out.set(body, 4)
  view.setUint32(body.length + 4, options.crc ?? crc32(body))
  return out
}

/** IHDR data: width, height, bit depth, colour type, compression, filter, interlace. */
export function ihdrData(
  width: number,
  height: number,
  options: { depth?: number; colourType?: number; compression?: number; filter?: number; interlace?: number } = {}
): Uint8Array {
  const data = new Uint8Array(13)
  const view = new DataView(data.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  data.set([options.depth ?? 8, options.colourType ?? 6, options.compression ?? 0, options.filter ?? 0, options.interlace ?? 0], 8)
  return data
}

export const ihdr = (...args: Parameters<typeof ihdrData>): Uint8Array => pngChunk('IHDR', ihdrData(...args))
export const idat = (data: number[] | Uint8Array = [1, 2, 3]): Uint8Array => pngChunk('IDAT', data)
export const iend = (): Uint8Array => pngChunk('IEND')

export const png = (...chunks: Uint8Array[]): Uint8Array => concatBytes([new Uint8Array(PNG_SIGNATURE), ...chunks])
