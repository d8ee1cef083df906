import { decodeBase64 } from 'hono/utils/encode'
import { NodeBuffer } from './node-buffer'

export function base64ToBytes(base64: string): Uint8Array {
  // Stryker disable next-line BlockStatement: without Node's Buffer the portable decoder gives the same bytes, slower
  if (NodeBuffer !== undefined) {
    // A view of the Buffer's own memory, not a copy of a megabyte (a small Buffer's view into Node's pool is still only its bytes).
    const buffer = NodeBuffer.from(base64, 'base64')
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }
  return decodeBase64(base64)
}

/** Base64 given as its ASCII bytes (a string lifted out of a host's answer, providers/shared/lift-long-strings.ts). */
export function base64AsciiToBytes(ascii: Uint8Array): Uint8Array {
  // latin1 maps each byte to one character: no UTF-8 decoding of a megabyte that is ASCII anyway.
  // Stryker disable next-line StringLiteral: base64 is ASCII, which every encoding reads alike; latin1 only skips UTF-8 decoding
  if (NodeBuffer !== undefined) return base64ToBytes(NodeBuffer.from(ascii.buffer, ascii.byteOffset, ascii.byteLength).toString('latin1'))
  return decodeBase64(new TextDecoder().decode(ascii))
}
