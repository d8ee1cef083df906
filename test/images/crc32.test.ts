import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32 } from '../../relay/images/crc32'

/** Deterministic bytes, so a failure reproduces. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let state = seed
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    out[i] = state >>> 24
  }
  return out
}

describe('crc32', () => {
  it('gives the check value of ISO 3309 / PNG', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  it('agrees with zlib at every length around the 8-byte steps, over every byte value', () => {
    for (let length = 0; length <= 40; length += 1) {
      const bytes = noise(length, length + 1)
      expect(crc32(bytes), `length ${length}`).toBe(zlibCrc32(bytes))
    }
    const everyByte = Uint8Array.from({ length: 512 }, (_, i) => (i * 167) & 0xff)
    expect(crc32(everyByte)).toBe(zlibCrc32(everyByte))
    const ones = new Uint8Array(64).fill(0xff)
    expect(crc32(ones)).toBe(zlibCrc32(ones))
  })

  it('covers bytes[start, end) only', () => {
    const bytes = noise(100, 7)
    for (const [start, end] of [
      [0, 100],
      [1, 100],
      [3, 97],
      [9, 10],
      [50, 50],
      [13, 30]
    ] as const) {
      expect(crc32(bytes, start, end), `[${start}, ${end})`).toBe(zlibCrc32(bytes.subarray(start, end)))
    }
    expect(crc32(bytes, 40)).toBe(zlibCrc32(bytes.subarray(40)))
  })
})
