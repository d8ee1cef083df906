import { encodeBase64 } from 'hono/utils/encode'
import { NodeBuffer } from './node-buffer'

export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(bytes).toString('base64')
  return encodeBase64(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}
