import type { RelayStore } from '../store/relay-store'
import { decodeRpc } from './decode-rpc'
import { createDurableStore } from './durable-store'
import { encodeRpc } from './encode-rpc'
import type { DurableStorage } from './platform'

/**
 * Test-only: the RelayStore methods of a scratch Durable Object over HTTP, so that
 * test/worker/worker-store.test.ts runs the shared store contract (test/team/store-contract.ts)
 * against real Durable Object storage in workerd. The Worker forwards `/__test/store/<name>` here
 * only when RELAY_TEST_ROUTES is 1, and only to objects named `test-store:<name>`, never to the
 * relay's own object.
 *
 * Body: `{ "method": <RelayStore method> | "reopen", "args": [...] }`; answer `{ "value" }` or
 * `{ "error" }`. Bytes travel as `{ "$bytes": base64 }`.
 */
export const STORE_RPC_PREFIX = '/__test/store/'

const METHODS = new Set<keyof RelayStore>([
  'getJobAsync',
  'putJobAsync',
  'listJobsAsync',
  'deleteJobAsync',
  'putImagesAsync',
  'getImageAsync',
  'reserveUsageAsync',
  'settleUsageAsync',
  'usageEntriesAsync',
  'usageTotalsAsync',
  'closeAsync'
])

/** One store a scratch object; `reopen` closes it and opens a new one on the same storage. */
const stores = new WeakMap<DurableStorage, RelayStore>()

export async function handleStoreRpcAsync(request: Request, storage: DurableStorage): Promise<Response> {
  const { method, args } = (await request.json()) as { method: string; args?: unknown[] }
  let store = stores.get(storage)
  if (store === undefined || method === 'reopen') {
    if (store !== undefined) await store.closeAsync()
    store = createDurableStore(storage)
    stores.set(storage, store)
    if (method === 'reopen') return Response.json({ value: null })
  }
  if (!METHODS.has(method as keyof RelayStore)) return Response.json({ error: `no method ${method}` }, { status: 400 })
  try {
    const call = store[method as keyof RelayStore] as (...values: unknown[]) => Promise<unknown>
    const value = await call(...((decodeRpc(args ?? []) as unknown[]) ?? []))
    return Response.json({ value: value === undefined ? null : encodeRpc(value), undefined: value === undefined })
  } catch (error) {
    return Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 500 })
  }
}
