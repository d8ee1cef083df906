import { encodeBase64 } from 'hono/utils/encode'

/** A store value as JSON for handle-store-rpc-async.ts: bytes become `{ "$bytes": base64 }`. */
export function encodeRpc(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return { $bytes: encodeBase64(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)) }
  if (Array.isArray(value)) return value.map(encodeRpc)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, encodeRpc(field)]))
  return value
}
