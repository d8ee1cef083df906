import { decodeBase64 } from 'hono/utils/encode'
import { NodeBuffer } from './node-buffer'

export function base64ToBytes(base64: string): Uint8Array {
  if (NodeBuffer !== undefined) return new Uint8Array(NodeBuffer.from(base64, 'base64'))
  return decodeBase64(base64)
}
