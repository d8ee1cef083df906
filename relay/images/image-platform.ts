import { crc32 } from './crc32'
import { inflatesToExactlyAsync } from './inflates-to-exactly-async'

/**
 * The two byte-crunching steps of the image check, injected per runtime because the fast way
 * differs: on Workers, the Web `DecompressionStream` is native and `node:zlib` is absent; on Node,
 * `DecompressionStream` goes through Web-stream plumbing that costs ~10× zlib's own time
 * (measured in test/relay/image-completeness.test.ts), so the Node entry passes `node:zlib`.
 */
export interface ImagePlatform {
  /** CRC-32 of `bytes[start, end)` (PNG chunk CRCs). */
  crc32(bytes: Uint8Array, start: number, end: number): number
  /** Whether the zlib stream split over `chunks` inflates to exactly `expected` bytes. */
  inflatesToExactlyAsync(chunks: readonly Uint8Array[], expected: number): Promise<boolean>
}

/** Web APIs only: what Workers use, and the default anywhere else. */
export const portableImagePlatform: ImagePlatform = { crc32, inflatesToExactlyAsync }
