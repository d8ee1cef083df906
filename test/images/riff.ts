import { concatBytes } from '../support/concat-bytes'

/** Hand-built WebP files (RIFF container, VP8 and VP8L headers), byte by byte, for the walker's edges. */

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

export interface RiffChunk {
  fourCc: string
  data: Uint8Array
}

export const u24 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff]

/** A chunk's bytes: FourCC, little-endian size (or `size` when given), data, and a pad byte to even length unless `pad` is false. */
export function riffChunk(chunk: RiffChunk, options: { size?: number; pad?: boolean } = {}): Uint8Array {
  const head = concatBytes([ascii(chunk.fourCc), new Uint8Array(4)])
  new DataView(head.buffer).setUint32(4, options.size ?? chunk.data.length, true)
  const pad = options.pad === false ? 0 : chunk.data.length & 1
  return concatBytes([head, chunk.data, new Uint8Array(pad)])
}

/** RIFF/WEBP around `body`, with its RIFF size `riffSize` or the right one. */
export function webpFile(body: Uint8Array, riffSize = body.length + 4): Uint8Array {
  const head = concatBytes([ascii('RIFF'), new Uint8Array(4), ascii('WEBP')])
  new DataView(head.buffer).setUint32(4, riffSize, true)
  return concatBytes([head, body])
}

export const webpOf = (...chunks: RiffChunk[]): Uint8Array => webpFile(concatBytes(chunks.map((chunk) => riffChunk(chunk))))

/** A VP8 key frame header (RFC 6386 §9.1) for `width`×`height`, then `partition` bytes of first partition and `tail` more. */
export function vp8(width: number, height: number, options: { partition?: number; tail?: number; tag?: number } = {}): RiffChunk {
  const partition = options.partition ?? 4
  const tag = options.tag ?? (partition << 5) | 0x10
  const data = new Uint8Array(10 + partition + (options.tail ?? 2))
  data.set(u24(tag), 0)
  data.set([0x9d, 0x01, 0x2a, width & 0xff, (width >>> 8) & 0xff, height & 0xff, (height >>> 8) & 0xff], 3)
  return { fourCc: 'VP8 ', data }
}

/** A VP8L header (signature 0x2f, 14-bit width−1 and height−1, alpha bit, version) then `tail` bytes of data. */
export function vp8l(width: number, height: number, options: { tail?: number; version?: number; alpha?: boolean } = {}): RiffChunk {
  const bits = ((width - 1) | ((height - 1) << 14) | ((options.alpha === true ? 1 : 0) << 28) | ((options.version ?? 0) << 29)) >>> 0
  const data = new Uint8Array(5 + (options.tail ?? 3))
  data[0] = 0x2f
  new DataView(data.buffer).setUint32(1, bits, true)
  return { fourCc: 'VP8L', data }
}

/** VP8X (extended format): flags, 3 reserved bytes, 24-bit canvas width−1 and height−1. */
export function vp8x(flags: number, width: number, height: number, extra = 0): RiffChunk {
  const data = new Uint8Array(10 + extra)
  data[0] = flags
  data.set([...u24(width - 1), ...u24(height - 1)], 4)
  return { fourCc: 'VP8X', data }
}

export const ANIMATED = 0x02

export const anim = (length = 6): RiffChunk => ({ fourCc: 'ANIM', data: new Uint8Array(length) })

/** ANMF: 24-bit X/2, Y/2, width−1, height−1, duration, a flags byte, then the frame's chunks. */
export function anmf(frame: { x: number; y: number; width: number; height: number }, ...chunks: RiffChunk[]): RiffChunk {
  const head = new Uint8Array(16)
  head.set([...u24(frame.x / 2), ...u24(frame.y / 2), ...u24(frame.width - 1), ...u24(frame.height - 1), ...u24(100)], 0)
  return { fourCc: 'ANMF', data: concatBytes([head, ...chunks.map((chunk) => riffChunk(chunk))]) }
}

export const chunk = (fourCc: string, length: number): RiffChunk => ({ fourCc, data: new Uint8Array(length) })
