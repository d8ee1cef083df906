/**
 * Whether a zlib stream (RFC 1950: header, deflate data, Adler-32) inflates to exactly `expected`
 * bytes, with the Web `DecompressionStream('deflate')` that Cloudflare Workers (natively) and
 * Node ≥ 18 both have; `node:zlib` is not on Workers. On Node this path is ~15× slower than zlib
 * itself (Web-stream plumbing), so the Node entry injects node-image-platform.ts instead. Output
 * is counted and dropped as it comes, and reading stops as soon as it passes `expected`, so a
 * small file claiming to be huge costs no memory.
 */
function onArrayBuffer(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  // DecompressionStream takes BufferSource, which excludes views on a SharedArrayBuffer.
  return chunk.buffer instanceof ArrayBuffer ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : new Uint8Array(chunk)
}

export async function inflatesToExactlyAsync(chunks: readonly Uint8Array[], expected: number): Promise<boolean> {
  const stream = new DecompressionStream('deflate')
  const writer = stream.writable.getWriter()
  // The writer rejects once the stream fails or is canceled; the reader below reports that.
  void (async () => {
    for (const chunk of chunks) await writer.write(onArrayBuffer(chunk))
    await writer.close()
  })().catch(() => undefined)
  // Node's types leave the readable side's chunks untyped; they are bytes.
  const reader: ReadableStreamDefaultReader<Uint8Array> = stream.readable.getReader()
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return total === expected
      total += value.byteLength
      if (total > expected) {
        await reader.cancel().catch(() => undefined)
        return false
      }
    }
  } catch {
    // Bad deflate data, a wrong Adler-32, or a stream cut short: zlib says so, and so do we.
    return false
  }
}
