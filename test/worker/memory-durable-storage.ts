/**
 * An in-memory stand-in for Durable Object storage's key–value API under Node, with Cloudflare's
 * limits enforced (128 KiB a value, 128 keys a call), so relay/worker/durable-store.ts can run the
 * shared store contract without workerd. Values are structured-cloned, as the runtime does.
 */
import type { DurableStorage } from '../../relay/worker/platform'

export const MAX_VALUE_BYTES = 128 * 1024
const MAX_KEYS = 128

function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length
}

export interface MemoryDurableStorage extends DurableStorage {
  readonly data: Map<string, unknown>
  /** The largest value ever put (bytes, as measured here). */
  readonly largestValue: number
}

export function createMemoryDurableStorage(): MemoryDurableStorage {
  const data = new Map<string, unknown>()
  let alarm: number | null = null
  let largestValue = 0

  function check(keys: readonly string[]): void {
    if (keys.length > MAX_KEYS) throw new RangeError(`Maximum number of keys is ${MAX_KEYS}; got ${keys.length}`)
  }
  function put(key: string, value: unknown): void {
    const size = sizeOf(value)
    if (size > MAX_VALUE_BYTES)
      throw new RangeError(`Values cannot be larger than ${MAX_VALUE_BYTES} bytes. A value of size ${size} was given.`)
    largestValue = Math.max(largestValue, size)
    data.set(key, structuredClone(value))
  }

  const storage = {
    data,
    get largestValue() {
      return largestValue
    },
    async get(keyOrKeys: string | string[]) {
      if (typeof keyOrKeys === 'string') return structuredClone(data.get(keyOrKeys))
      check(keyOrKeys)
      const out = new Map<string, unknown>()
      for (const key of keyOrKeys) if (data.has(key)) out.set(key, structuredClone(data.get(key)))
      return out
    },
    async put(keyOrEntries: string | Record<string, unknown>, value?: unknown) {
      if (typeof keyOrEntries === 'string') return void put(keyOrEntries, value)
      const entries = Object.entries(keyOrEntries)
      check(entries.map(([key]) => key))
      for (const [key, item] of entries) put(key, item)
    },
    async delete(keyOrKeys: string | string[]) {
      if (typeof keyOrKeys === 'string') return data.delete(keyOrKeys)
      check(keyOrKeys)
      return keyOrKeys.filter((key) => data.delete(key)).length
    },
    async list(options: { prefix?: string } = {}) {
      const keys = [...data.keys()].filter((key) => options.prefix === undefined || key.startsWith(options.prefix)).sort()
      return new Map(keys.map((key) => [key, structuredClone(data.get(key))]))
    },
    async getAlarm() {
      return alarm
    },
    async setAlarm(time: number) {
      alarm = time
    }
  }
  return storage as unknown as MemoryDurableStorage
}
