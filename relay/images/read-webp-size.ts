import { AppError } from '../../shared/errors'

/**
 * WebP container walker (RIFF, per Google's "WebP Container Specification" and RFC 9649): the
 * RIFF size must be the file's, every chunk must fit, and the image chunks must carry a bitstream
 * whose own header agrees with the sizes declared around it. It does not decode the bitstream;
 * it refuses what the finding showed reaching a paid host: no image data, a RIFF size of 0, a
 * VP8X canvas with no frame.
 */

function isAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

function u24le(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)
}

function u32le(bytes: Uint8Array, offset: number): number {
  return (u24le(bytes, offset) | (bytes[offset + 3]! << 24)) >>> 0
}

interface Chunk {
  fourCc: string
  data: Uint8Array
}

export function isWebp(bytes: Uint8Array): boolean {
  // A file shorter than 12 bytes lacks some of these letters.
  return isAscii(bytes, 0, 'RIFF') && isAscii(bytes, 8, 'WEBP')
}

/** Splits `bytes` into RIFF chunks (FourCC, little-endian size, data, a pad byte to even length). */
function chunksOf(bytes: Uint8Array, broken: (why: string) => AppError): Chunk[] {
  const chunks: Chunk[] = []
  let offset = 0
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) throw broken('a chunk header is cut short')
    const size = u32le(bytes, offset + 4)
    const end = offset + 8 + size
    if (end > bytes.length) throw broken('a chunk runs past the end of the file')
    chunks.push({ fourCc: String.fromCharCode(...bytes.subarray(offset, offset + 4)), data: bytes.subarray(offset + 8, end) })
    offset = end + (size & 1)
  }
  if (offset !== bytes.length) throw broken('the last chunk lacks its pad byte')
  return chunks
}

/** The frame size a VP8 (lossy) or VP8L (lossless) bitstream declares, or why it is not one. */
function bitstreamSize(chunk: Chunk): { width: number; height: number } | string {
  const d = chunk.data
  if (chunk.fourCc === 'VP8 ') {
    // RFC 6386 §9.1: 3-byte frame tag (key frame when bit 0 is 0, first partition size in bits
    // 5–23), start code 9d 01 2a, then 14-bit width and height (2 scale bits each).
    if (d.length < 10) return 'the VP8 frame header is cut short'
    const tag = u24le(d, 0)
    if ((tag & 1) !== 0 || d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) return 'the VP8 chunk does not start with a key frame'
    const firstPartition = tag >>> 5
    // The first partition (modes) and at least one byte of DCT token data must follow the header.
    if (firstPartition === 0 || 10 + firstPartition >= d.length) return 'the VP8 chunk has no image data'
    return { width: (d[6]! | (d[7]! << 8)) & 0x3fff, height: (d[8]! | (d[9]! << 8)) & 0x3fff }
  }
  if (chunk.fourCc === 'VP8L') {
    // WebP Lossless Bitstream Specification §3: signature 0x2f, 14-bit width−1 and height−1,
    // an alpha hint bit and a 3-bit version that must be 0; the image data follows.
    if (d.length < 5 || d[0] !== 0x2f) return 'the VP8L chunk has no lossless header'
    const bits = u32le(d, 1)
    if (bits >>> 29 !== 0) return 'the VP8L chunk has an unknown version'
    if (d.length <= 5) return 'the VP8L chunk has no image data'
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  return `a ${chunk.fourCc.trim()} chunk where image data belongs`
}

/** The frame's bitstream (VP8 or VP8L, optionally after ALPH), checked against `width`×`height`. */
function checkFrame(chunks: readonly Chunk[], width: number, height: number, broken: (why: string) => AppError): void {
  const image = chunks.filter((chunk) => chunk.fourCc === 'VP8 ' || chunk.fourCc === 'VP8L')
  if (image.length !== 1) throw broken(image.length === 0 ? 'it has no image data' : 'a frame has more than one bitstream')
  const size = bitstreamSize(image[0]!)
  if (typeof size === 'string') throw broken(size)
  if (size.width !== width || size.height !== height)
    throw broken(`the bitstream is ${size.width}×${size.height} but the frame is ${width}×${height}`)
  // ALPH: a header byte, then alpha data; decoders ignore it beside VP8L (which carries its own alpha).
  const alpha = chunks.find((chunk) => chunk.fourCc === 'ALPH')
  if (alpha !== undefined && image[0]!.fourCc === 'VP8 ' && alpha.data.length < 2) throw broken('the ALPH chunk is empty')
}

/** Walks a WebP file and returns its canvas size; throws `invalid_image` naming `label`. */
export function readWebpSize(bytes: Uint8Array, label: string): { width: number; height: number } {
  const broken = (why: string): AppError => new AppError('invalid_image', `${label} is not a complete WebP image (${why}).`)
  if (!isWebp(bytes)) throw broken('no RIFF/WEBP header')
  if (u32le(bytes, 4) + 8 !== bytes.length) throw broken(`its RIFF size says ${u32le(bytes, 4) + 8} bytes but it has ${bytes.length}`)
  const chunks = chunksOf(bytes.subarray(12), broken)
  const first = chunks[0]
  if (first === undefined) throw broken('it has no chunks')
  if (first.fourCc !== 'VP8X') {
    const size = bitstreamSize(first)
    if (typeof size === 'string') throw broken(size)
    if (size.width === 0 || size.height === 0) throw broken('the bitstream declares no pixels')
    return size
  }
  // Extended format: flags, 3 reserved bytes, 24-bit canvas width−1 and height−1.
  if (first.data.length < 10) throw broken('the VP8X chunk is cut short')
  const width = u24le(first.data, 4) + 1
  const height = u24le(first.data, 7) + 1
  const animated = (first.data[0]! & 0x02) !== 0
  // Stryker disable next-line MethodExpression: everything below picks chunks by FourCC, and VP8X is none of those
  const rest = chunks.slice(1)
  if (!animated) {
    checkFrame(rest, width, height, broken)
    return { width, height }
  }
  if (!rest.some((chunk) => chunk.fourCc === 'ANIM' && chunk.data.length >= 6)) throw broken('an animation without an ANIM chunk')
  const frames = rest.filter((chunk) => chunk.fourCc === 'ANMF')
  if (frames.length === 0) throw broken('an animation without frames')
  for (const frame of frames) {
    // ANMF: 24-bit X/2, Y/2, width−1, height−1, duration, a flags byte; then the frame's chunks.
    if (frame.data.length < 16) throw broken('an ANMF chunk is cut short')
    const x = u24le(frame.data, 0) * 2
    const y = u24le(frame.data, 3) * 2
    const frameWidth = u24le(frame.data, 6) + 1
    const frameHeight = u24le(frame.data, 9) + 1
    if (x + frameWidth > width || y + frameHeight > height) throw broken('a frame lies outside the canvas')
    checkFrame(chunksOf(frame.data.subarray(16), broken), frameWidth, frameHeight, broken)
  }
  return { width, height }
}
