/**
 * Node only (relay/node.ts passes it to createRelay; the Worker bundle must never import it).
 * Native zlib for the PNG check: crc32 (Node ≥ 20.15, else the portable one) and a streaming
 * inflate that counts output and stops past the expected size.
 */
import * as zlib from 'node:zlib'
import { crc32 } from './crc32'
import type { ImagePlatform } from './image-platform'

/** Large output chunks: at zlib's 16 KiB default, per-chunk stream overhead costs several times the inflating itself (1 MP: ~7.6 ms against ~0.8 ms at 1 MiB). */
const CHUNK_BYTES = 1024 * 1024

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

function inflatesToExactlyAsync(chunks: readonly Uint8Array[], expected: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Stryker disable next-line ObjectLiteral: the output chunk size changes the speed, not the answer
    const inflate = zlib.createInflate({ chunkSize: CHUNK_BYTES })
    let total = 0
    // The first answer stands: a later 'end' or 'error' resolves and destroys again, which does nothing.
    const settle = (result: boolean): void => {
      resolve(result)
      inflate.destroy()
    }
    inflate.on('data', (data: Buffer) => {
      total += data.length
      if (total > expected) settle(false)
    })
    inflate.on('end', () => settle(total === expected))
    // Bad deflate data, a wrong Adler-32, or a stream cut short ("unexpected end of file").
    inflate.on('error', () => settle(false))
    for (const chunk of chunks) inflate.write(chunk)
    inflate.end()
  })
}

export const nodeImagePlatform: ImagePlatform = {
  crc32: nativeCrc32 === undefined ? crc32 : (bytes, start, end) => nativeCrc32(bytes.subarray(start, end)),
  inflatesToExactlyAsync
}
