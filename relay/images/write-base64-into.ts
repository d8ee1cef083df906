import { encodeBase64 } from 'hono/utils/encode'

interface BufferLike {
  from(data: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: string): string }
}

// Node's Buffer is an order of magnitude faster on megabyte images; Workers may lack it.
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer
/** Bytes encoded per step (48 KiB): a multiple of 3, so each step's base64 has no padding and steps join. */
const STEP_BYTES = 49_152
const encoder = new TextEncoder()

/** Length of the base64 (with padding) of `byteLength` bytes. */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4
}

/**
 * Writes the base64 of `bytes` into `target` at `offset` and answers the offset after it. Encoded
 * in 48 KiB steps so no string of the whole image is ever made: a 16 MB reference would otherwise
 * cost a 21 MB string on top of the bytes it is built into.
 */
export function writeBase64Into(bytes: Uint8Array, target: Uint8Array, offset: number): number {
  let at = offset
  // Stryker disable next-line EqualityOperator: one more step at the end encodes 0 bytes, writing nothing
  for (let start = 0; start < bytes.byteLength; start += STEP_BYTES) {
    const length = Math.min(STEP_BYTES, bytes.byteLength - start)
    const text =
      NodeBuffer !== undefined
        ? NodeBuffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('base64')
        : encodeBase64(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + length))
    at += encoder.encodeInto(text, target.subarray(at)).written
  }
  return at
}
