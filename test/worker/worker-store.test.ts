/**
 * The shared RelayStore contract (test/team/store-contract.ts) on real Durable Object storage in
 * workerd: each store is a scratch Durable Object reached through the worker's test-only route
 * (`/__test/store/<name>`, open only with RELAY_TEST_ROUTES=1; relay/worker/handle-store-rpc-async.ts), so
 * chunking, the 128 KiB value limit, key order and the atomic reservation are checked on the
 * runtime itself. test/worker/durable-store.test.ts runs the same contract under Node.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelayStore } from '../../relay/store/relay-store'
import { decodeRpc } from '../../relay/worker/decode-rpc'
import { encodeRpc } from '../../relay/worker/encode-rpc'
import { describeRelayStore, job } from '../team/store-contract'
import { PLAIN_TOKEN } from '../team/team-harness'
import { startWorkerAsync, type RunningWorker } from './start-worker-async'

let worker: RunningWorker

beforeAll(async () => {
  // No host: the store routes need none (health answers all the same).
  worker = await startWorkerAsync({ bindings: { RELAY_TOKENS: PLAIN_TOKEN, RELAY_TEST_ROUTES: '1' } })
}, 30_000)

afterAll(async () => {
  await worker?.close()
})

/** A RelayStore whose every call is one request to the scratch object `name`. */
function remoteStore(name: string): RelayStore {
  async function call(method: string, ...args: unknown[]): Promise<unknown> {
    const response = await fetch(`${worker.url}/__test/store/${name}`, {
      method: 'POST',
      body: JSON.stringify({ method, args: encodeRpc(args) })
    })
    const body = (await response.json()) as { value?: unknown; undefined?: boolean; error?: string }
    if (body.error !== undefined) throw new Error(body.error)
    return body.undefined === true ? undefined : decodeRpc(body.value)
  }
  const method =
    (name: string) =>
    (...args: unknown[]) =>
      call(name, ...args)
  return {
    getJobAsync: method('getJobAsync'),
    putJobAsync: method('putJobAsync'),
    listJobsAsync: method('listJobsAsync'),
    deleteJobAsync: method('deleteJobAsync'),
    putImagesAsync: method('putImagesAsync'),
    getImageAsync: method('getImageAsync'),
    reserveUsageAsync: method('reserveUsageAsync'),
    settleUsageAsync: method('settleUsageAsync'),
    usageEntriesAsync: method('usageEntriesAsync'),
    usageTotalsAsync: method('usageTotalsAsync'),
    closeAsync: method('closeAsync')
  } as RelayStore
}

{
  let name = ''
  describeRelayStore('the Durable Object store (in workerd)', {
    openAsync: async () => {
      name = randomUUID()
      return remoteStore(name)
    },
    reopenAsync: async (store) => {
      await store.closeAsync()
      await fetch(`${worker.url}/__test/store/${name}`, { method: 'POST', body: JSON.stringify({ method: 'reopen' }) }).then((response) =>
        response.arrayBuffer()
      )
      return remoteStore(name)
    }
  })
}

describe('the Durable Object store in workerd, with real images', () => {
  it('keeps a 1.5 MB incompressible image (many 128 KiB storage values) byte for byte', async () => {
    const store = remoteStore(randomUUID())
    const bytes = new Uint8Array(1_500_000)
    for (let offset = 0; offset < bytes.length; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, offset + 65_536))
    await store.putJobAsync(job('big'))
    await store.putImagesAsync('big', [bytes])
    const back = await store.getImageAsync('big', 0)
    expect(back?.length).toBe(bytes.length)
    expect(Buffer.from(back!).equals(bytes)).toBe(true)
    await store.deleteJobAsync('big')
    expect(await store.getImageAsync('big', 0)).toBeUndefined()
    await store.closeAsync()
  })
})
