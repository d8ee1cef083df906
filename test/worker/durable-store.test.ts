import { describe, expect, it } from 'vitest'
import { createDurableStore, IMAGE_CHUNK_BYTES } from '../../relay/worker/durable-store'
import { decodeRpc } from '../../relay/worker/decode-rpc'
import { encodeRpc } from '../../relay/worker/encode-rpc'
import type { RelayStore } from '../../relay/store/relay-store'
import { describeRelayStore, entry, job } from '../team/store-contract'
import { createMemoryDurableStorage, MAX_VALUE_BYTES, type MemoryDurableStorage } from './memory-durable-storage'

// The Durable Object store's logic under Node, on an in-memory storage with Cloudflare's limits.
// (test/worker/worker-store.test.ts runs the same contract on real Durable Object storage in workerd.)
{
  let storage: MemoryDurableStorage = createMemoryDurableStorage()
  describeRelayStore('the Durable Object store (under Node)', {
    openAsync: async () => {
      storage = createMemoryDurableStorage()
      return createDurableStore(storage)
    },
    reopenAsync: async (store) => {
      await store.closeAsync()
      return createDurableStore(storage)
    },
    footprintAsync: async () => [...storage.data.keys()].sort()
  })
}

describe('the Durable Object store’s layout', () => {
  it('keeps a result image of several megabytes in chunks under the 128 KiB value limit, and drops them with the job', async () => {
    const storage = createMemoryDurableStorage()
    const store = createDurableStore(storage)
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, index) => (index * 7) % 256)
    // More chunks than one put or get may name (128 keys).
    const huge = new Uint8Array(IMAGE_CHUNK_BYTES * 130 + 5).map((_, index) => index % 253)
    await store.putJobAsync(job('big'))
    await store.putImagesAsync('big', [big, new Uint8Array(0), huge])
    // (toEqual on megabytes of bytes takes seconds: compare as Buffers.)
    expect(Buffer.from((await store.getImageAsync('big', 0))!).equals(big)).toBe(true)
    expect(await store.getImageAsync('big', 1)).toEqual(new Uint8Array(0))
    expect(Buffer.from((await store.getImageAsync('big', 2))!).equals(huge)).toBe(true)
    expect(storage.largestValue).toBeLessThanOrEqual(MAX_VALUE_BYTES)
    // Putting again replaces: no chunk of the old image is left behind.
    await store.putImagesAsync('big', [new Uint8Array([1, 2, 3])])
    expect(await store.getImageAsync('big', 2)).toBeUndefined()
    expect([...storage.data.keys()].filter((key) => key.startsWith('img:big/')).sort()).toEqual(['img:big/0', 'img:big/0/000000'])
    await store.deleteJobAsync('big')
    expect([...storage.data.keys()]).toEqual([])
    await store.closeAsync()
  })

  it('answers a day’s ledger in the order edits were reserved, whatever their ids', async () => {
    const store: RelayStore = createDurableStore(createMemoryDurableStorage())
    for (const id of ['zeta', 'alpha', 'mid']) await store.reserveUsageAsync(entry(id), null)
    expect((await store.usageEntriesAsync('2025-06-30')).map((item) => item.jobId)).toEqual(['zeta', 'alpha', 'mid'])
    await store.closeAsync()
  })

  it('carries bytes through the test-only store route’s encoding', () => {
    const value = { images: [new Uint8Array([0, 255, 7])], nested: [{ bytes: new Uint8Array(0) }], n: 1, s: 'x', none: null }
    expect(decodeRpc(JSON.parse(JSON.stringify(encodeRpc(value))))).toEqual(value)
  })
})
