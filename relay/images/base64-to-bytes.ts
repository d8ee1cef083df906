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
