import { decodeBase64 } from 'hono/utils/encode'

/** The inverse of encodeRpc: `{ "$bytes": base64 }` back to bytes. */
export function decodeRpc(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeRpc)
  if (value !== null && typeof value === 'object') {
    const bytes = (value as { $bytes?: unknown }).$bytes
    if (typeof bytes === 'string') return decodeBase64(bytes)
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, decodeRpc(field)]))
  }
  return value
}
