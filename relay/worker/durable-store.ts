import type { JobRecord } from '../jobs/job-record'
import { matchesQuery } from '../store/memory-store'
import type { RelayStore } from '../store/relay-store'
import { fitsBudget, type ReserveResult } from '../usage/fits-budget'
import { settled } from '../usage/settled'
import { totalsOf } from '../usage/totals-of'
import type { UsageEntry, UsageSettlement } from '../usage/usage-entry'
import type { DurableStorage } from './platform'

/**
 * Cloudflare caps one Durable Object storage value at 128 KiB (KV-backed objects; SQLite-backed
 * ones allow 2 MB): result images are kept in chunks well under that.
 */
export const IMAGE_CHUNK_BYTES = 120 * 1024
/** Cloudflare takes at most 128 keys in one put or delete. */
const KEYS_PER_CALL = 128

/**
 * The keys, all in the Durable Object's own storage:
 *
 * - `job:<id>` → the JobRecord.
 * - `img:<jobId>/<n>` → `{ chunks, byteLength }`, and `img:<jobId>/<n>/<chunk>` → up to
 *   IMAGE_CHUNK_BYTES of image n. One prefix a job, so deleting a job finds all of them.
 * - `led:<day>:<seq>` → a UsageEntry; `seq` (zero-padded, from `ledseq`) keeps the entries in the
 *   order they were reserved, as every store answers them. `ledx:<day>:<jobId>` → its `led:` key.
 */
const JOB = 'job:'
const imagePrefix = (jobId: string) => `img:${jobId}/`
const imageKey = (jobId: string, index: number) => `${imagePrefix(jobId)}${index}`
const chunkKey = (jobId: string, index: number, chunk: number) => `${imageKey(jobId, index)}/${String(chunk).padStart(6, '0')}`
const ledgerPrefix = (day: string) => `led:${day}:`
const ledgerIndexKey = (day: string, jobId: string) => `ledx:${day}:${jobId}`
const SEQUENCE = 'ledseq'

interface ImageMeta {
  chunks: number
  byteLength: number
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let start = 0; start < items.length; start += KEYS_PER_CALL) out.push(items.slice(start, start + KEYS_PER_CALL))
  return out
}

async function deleteKeysAsync(storage: DurableStorage, keys: string[]): Promise<void> {
  for (const batch of batches(keys)) await storage.delete(batch)
}

async function putEntriesAsync(storage: DurableStorage, entries: Array<[string, unknown]>): Promise<void> {
  for (const batch of batches(entries)) await storage.put(Object.fromEntries(batch))
}

async function dayEntriesAsync(storage: DurableStorage, day: string): Promise<UsageEntry[]> {
  return [...(await storage.list<UsageEntry>({ prefix: ledgerPrefix(day) })).values()]
}

async function putImagesAsync(storage: DurableStorage, jobId: string, images: readonly Uint8Array[]): Promise<void> {
  // Replaces whatever the job had: old chunks go first.
  await deleteKeysAsync(storage, [...(await storage.list({ prefix: imagePrefix(jobId) })).keys()])
  const entries: Array<[string, unknown]> = []
  images.forEach((bytes, index) => {
    const chunks = Math.ceil(bytes.length / IMAGE_CHUNK_BYTES)
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      entries.push([chunkKey(jobId, index, chunk), bytes.slice(chunk * IMAGE_CHUNK_BYTES, (chunk + 1) * IMAGE_CHUNK_BYTES)])
    }
    // The meta last: an image is there once its meta is.
  })
  await putEntriesAsync(storage, entries)
  await putEntriesAsync(
    storage,
    images.map((bytes, index): [string, ImageMeta] => [
      imageKey(jobId, index),
      { chunks: Math.ceil(bytes.length / IMAGE_CHUNK_BYTES), byteLength: bytes.length }
    ])
  )
}

async function getImageAsync(storage: DurableStorage, jobId: string, index: number): Promise<Uint8Array | undefined> {
  if (!Number.isInteger(index) || index < 0) return undefined
  const meta = await storage.get<ImageMeta>(imageKey(jobId, index))
  if (meta === undefined) return undefined
  const keys = Array.from({ length: meta.chunks }, (_, chunk) => chunkKey(jobId, index, chunk))
  const bytes = new Uint8Array(meta.byteLength)
  let offset = 0
  for (const batch of batches(keys)) {
    const found = await storage.get<Uint8Array>(batch)
    for (const key of batch) {
      const chunk = found.get(key)
      if (chunk === undefined) return undefined
      bytes.set(new Uint8Array(chunk), offset)
      offset += chunk.byteLength
    }
  }
  return offset === meta.byteLength ? bytes : undefined
}

async function reserveUsageAsync(storage: DurableStorage, entry: UsageEntry, dailyBudgetUsd: number | null): Promise<ReserveResult> {
  const fits = fitsBudget(await dayEntriesAsync(storage, entry.day), entry, dailyBudgetUsd)
  if (!fits.ok) return fits
  const indexKey = ledgerIndexKey(entry.day, entry.jobId)
  let key = await storage.get<string>(indexKey)
  if (key === undefined) {
    const sequence = ((await storage.get<number>(SEQUENCE)) ?? 0) + 1
    key = `${ledgerPrefix(entry.day)}${String(sequence).padStart(12, '0')}`
    // One put: the sequence, the index and the entry land together.
    await storage.put({ [SEQUENCE]: sequence, [indexKey]: key, [key]: entry })
  } else {
    await storage.put(key, entry)
  }
  return fits
}

async function settleUsageAsync(storage: DurableStorage, day: string, jobId: string, settlement: UsageSettlement): Promise<boolean> {
  const key = await storage.get<string>(ledgerIndexKey(day, jobId))
  const entry = key === undefined ? undefined : await storage.get<UsageEntry>(key)
  if (key === undefined || entry === undefined || entry.outcome !== 'pending') return false
  await storage.put(key, settled(entry, settlement))
  return true
}

/**
 * The RelayStore on a Durable Object's storage (relay/worker/relay-object.ts owns the object).
 *
 * Atomicity: one Durable Object runs one request handler at a time per await, but a handler that
 * awaits storage can interleave with another at each await. Every method therefore runs through
 * one queue, so a reservation's read of the day's entries and its write are one step, as the
 * contract asks; Durable Object storage writes are durable when their promise resolves.
 */
export function createDurableStore(storage: DurableStorage): RelayStore {
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false

  function serialAsync<T>(bodyAsync: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error('The store is closed.'))
    const next = queue.then(bodyAsync, bodyAsync)
    queue = next.catch(() => undefined)
    return next
  }

  return {
    getJobAsync: (id) => serialAsync(() => storage.get<JobRecord>(`${JOB}${id}`)),
    putJobAsync: (job) => serialAsync(() => storage.put(`${JOB}${job.id}`, job)),
    listJobsAsync: (query = {}) =>
      serialAsync(async () => [...(await storage.list<JobRecord>({ prefix: JOB })).values()].filter((job) => matchesQuery(job, query))),
    deleteJobAsync: (id) =>
      serialAsync(async () => {
        await storage.delete(`${JOB}${id}`)
        await deleteKeysAsync(storage, [...(await storage.list({ prefix: imagePrefix(id) })).keys()])
      }),

    putImagesAsync: (jobId, images) => serialAsync(() => putImagesAsync(storage, jobId, images)),
    getImageAsync: (jobId, index) => serialAsync(() => getImageAsync(storage, jobId, index)),

    reserveUsageAsync: (entry, dailyBudgetUsd) => serialAsync(() => reserveUsageAsync(storage, entry, dailyBudgetUsd)),
    settleUsageAsync: (day, jobId, settlement) => serialAsync(() => settleUsageAsync(storage, day, jobId, settlement)),
    usageEntriesAsync: (day, owner) =>
      serialAsync(async () => (await dayEntriesAsync(storage, day)).filter((entry) => owner === undefined || entry.owner === owner)),
    usageTotalsAsync: (day) => serialAsync(async () => totalsOf(await dayEntriesAsync(storage, day))),

    async closeAsync() {
      if (closed) return
      const last = queue
      closed = true
      await last
    }
  }
}
