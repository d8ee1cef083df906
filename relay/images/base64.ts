import { decodeBase64, encodeBase64 } from 'hono/utils/encode'

interface BufferLike {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string }
}

// Node's Buffer is an order of magnitude faster on megabyte images; Workers may lack it.
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(bytes).toString('base64')
  return encodeBase64(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}

export function base64ToBytes(base64: string): Uint8Array {
  if (NodeBuffer !== undefined) return new Uint8Array(NodeBuffer.from(base64, 'base64'))
  return decodeBase64(base64)
}
