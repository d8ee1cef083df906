/**
 * Both image platforms (the portable one Workers use, and Node's zlib one) answer the same: the
 * CRC-32 of a range, and whether a zlib stream inflates to exactly the bytes expected.
 */
import { constants, deflateSync, crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { portableImagePlatform, type ImagePlatform } from '../../relay/images/image-platform'
import { inflatesToExactlyAsync } from '../../relay/images/inflates-to-exactly-async'
import { nodeImagePlatform } from '../../relay/images/node-image-platform'

const PLATFORMS: Array<[string, ImagePlatform]> = [
  ['portable', portableImagePlatform],
  ['Node', nodeImagePlatform]
]

const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff)
const deflated = new Uint8Array(deflateSync(data))

/**
 * A zlib bomb: one 16 MiB run of zeros, deflated and fully flushed so its blocks stand alone, sent
 * `copies` times between the zlib header and a final empty block with the Adler-32 of the whole.
 */
function zerosBomb(copies: number): { chunks: Uint8Array[]; inflated: number } {
  const flushed = new Uint8Array(deflateSync(new Uint8Array(16 * 1024 * 1024), { finishFlush: constants.Z_FULL_FLUSH }))
  const inflated = copies * 16 * 1024 * 1024
  // Adler-32 of n zeros: a = 1, b = n mod 65521.
  const b = inflated % 65521
  const end = new Uint8Array([0x03, 0x00, b >>> 8, b & 0xff, 0x00, 0x01])
  return { chunks: [flushed.subarray(0, 2), ...Array.from({ length: copies }, () => flushed.subarray(2)), end], inflated }
}

/** `work`, or a failure once `ms` have passed. */
async function withinAsync<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)))
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

describe.each(PLATFORMS)('the %s platform', (_name, platform) => {
  it('computes CRC-32 over bytes[start, end)', () => {
    expect(platform.crc32(data, 0, data.length)).toBe(zlibCrc32(data))
    expect(platform.crc32(data, 7, 1000)).toBe(zlibCrc32(data.subarray(7, 1000)))
    expect(platform.crc32(data, 5, 5)).toBe(0)
  })

  it('answers true only for exactly the expected size', async () => {
    expect(await platform.inflatesToExactlyAsync([deflated], data.length)).toBe(true)
    expect(await platform.inflatesToExactlyAsync([deflated], data.length + 1)).toBe(false)
    expect(await platform.inflatesToExactlyAsync([deflated], data.length - 1)).toBe(false)
    expect(await platform.inflatesToExactlyAsync([deflated], 0)).toBe(false)
  })

  it('stops early on output far over the expected size', async () => {
    const huge = new Uint8Array(deflateSync(new Uint8Array(8 * 1024 * 1024)))
    expect(await platform.inflatesToExactlyAsync([huge], 100)).toBe(false)
    expect(await platform.inflatesToExactlyAsync([huge], 8 * 1024 * 1024)).toBe(true)
  })

  it('stops at once on a bomb whose output would take minutes to inflate (480 GiB of zeros)', async () => {
    // The bomb's blocks are sound: three copies inflate to exactly 48 MiB.
    const three = zerosBomb(3)
    expect(await platform.inflatesToExactlyAsync(three.chunks, three.inflated)).toBe(true)
    expect(await withinAsync(platform.inflatesToExactlyAsync(zerosBomb(30_000).chunks, 100), 10_000)).toBe(false)
  })

  it('reads a stream split over many chunks, empty ones included', async () => {
    const pieces = [deflated.subarray(0, 3), new Uint8Array(0), deflated.subarray(3, 100), deflated.subarray(100)]
    expect(await platform.inflatesToExactlyAsync(pieces, data.length)).toBe(true)
  })

  it('answers false for bad data, a wrong checksum, a cut stream or none', async () => {
    expect(await platform.inflatesToExactlyAsync([new Uint8Array([1, 2, 3, 4, 5, 6])], 6)).toBe(false)
    const wrongAdler = new Uint8Array(deflated)
    wrongAdler[wrongAdler.length - 1] = wrongAdler[wrongAdler.length - 1]! ^ 1
    expect(await platform.inflatesToExactlyAsync([wrongAdler], data.length)).toBe(false)
    expect(await platform.inflatesToExactlyAsync([deflated.subarray(0, deflated.length - 4)], data.length)).toBe(false)
    expect(await platform.inflatesToExactlyAsync([], 0)).toBe(false)
  })
})

describe('the portable inflate', () => {
  it('takes chunks on a SharedArrayBuffer, which DecompressionStream itself refuses', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(deflated.length + 4), 2, deflated.length)
    shared.set(deflated)
    expect(await inflatesToExactlyAsync([shared], data.length)).toBe(true)
  })

  it('takes a view into a larger buffer', async () => {
    const larger = new Uint8Array(deflated.length + 10)
    larger.set(deflated, 5)
    expect(await inflatesToExactlyAsync([larger.subarray(5, 5 + deflated.length)], data.length)).toBe(true)
  })
})
