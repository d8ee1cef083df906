const encoder = new TextEncoder()

/** Joins byte arrays and text (as UTF-8) into one array: hand-built multipart bodies and image files. */
export function concatBytes(parts: ReadonlyArray<Uint8Array | string>): Uint8Array<ArrayBuffer> {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part))
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}
