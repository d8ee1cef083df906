/**
 * The behaviour every RelayStore keeps (relay/store/relay-store.ts), as a suite any
 * implementation can run: `describeRelayStore('name', openAsync)`. `openAsync()` gives a store;
 * for a persistent one, `reopenAsync` (when given) closes it and opens it again on the same data,
 * and the suite checks that what was written survives.
 */
import { describe, expect, it } from 'vitest'
import type { JobRecord } from '../../relay/jobs/job-record'
import type { RelayStore } from '../../relay/store/relay-store'
import type { UsageEntry } from '../../relay/usage/usage-entry'

export interface StoreFactory {
  openAsync(): Promise<RelayStore>
  /** Closes `store` and opens the same data again; absent for a store that does not persist. */
  reopenAsync?(store: RelayStore): Promise<RelayStore>
  /** What the store holds on its medium (files, keys), to check that reads create nothing; absent for memory. */
  footprintAsync?(): Promise<string[]>
}

const T = Date.UTC(2025, 5, 30, 12, 0, 0)
const DAY = '2025-06-30'

export function job(id: string, patch: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    owner: 'alice',
    status: 'running',
    provider: 'runware',
    model: 'kontext-max',
    createdAt: T,
    updatedAt: T,
    expiresAt: T + 60_000,
    numImages: 1,
    reservedUsd: 0.08,
    images: [],
    costEstimated: false,
    ...patch
  }
}

export function entry(jobId: string, patch: Partial<UsageEntry> = {}): UsageEntry {
  return {
    jobId,
    owner: 'alice',
    day: DAY,
    createdAt: T,
    provider: 'runware',
    model: 'kontext-max',
    images: 1,
    reservedUsd: 0.08,
    outcome: 'pending',
    ...patch
  }
}

const SETTLED = { outcome: 'succeeded', costUsd: 0.05, costEstimated: false, delivered: 1, endedAt: T + 1000 } as const

export function describeRelayStore(name: string, factory: StoreFactory): void {
  describe(`${name}: the RelayStore contract`, () => {
    async function withStoreAsync(body: (store: RelayStore) => Promise<RelayStore | void>): Promise<void> {
      const store = await factory.openAsync()
      let last = store
      try {
        last = (await body(store)) ?? store
      } finally {
        await last.closeAsync()
      }
    }

    it('puts, replaces, lists and deletes jobs', async () => {
      await withStoreAsync(async (store) => {
        expect(await store.getJobAsync('a')).toBeUndefined()
        await store.putJobAsync(job('a'))
        await store.putJobAsync(job('b', { status: 'succeeded', expiresAt: T }))
        await store.putJobAsync(job('a', { progress: 0.5, updatedAt: T + 1 }))
        expect(await store.getJobAsync('a')).toEqual(job('a', { progress: 0.5, updatedAt: T + 1 }))
        expect((await store.listJobsAsync()).map((item) => item.id).sort()).toEqual(['a', 'b'])
        expect((await store.listJobsAsync({ unfinished: true })).map((item) => item.id)).toEqual(['a'])
        expect((await store.listJobsAsync({ expiredAt: T })).map((item) => item.id)).toEqual(['b'])
        expect(await store.listJobsAsync({ unfinished: true, expiredAt: T })).toEqual([])
        await store.deleteJobAsync('a')
        await store.deleteJobAsync('never-there')
        expect(await store.getJobAsync('a')).toBeUndefined()
        expect((await store.listJobsAsync()).map((item) => item.id)).toEqual(['b'])
      })
    })

    it('keeps result bytes exactly, and drops them with their job', async () => {
      await withStoreAsync(async (store) => {
        const bytes = [new Uint8Array([1, 2, 3, 0, 255]), new Uint8Array(70_000).map((_, index) => index % 251)]
        await store.putJobAsync(job('c'))
        await store.putImagesAsync('c', bytes)
        expect(await store.getImageAsync('c', 0)).toEqual(bytes[0])
        expect(await store.getImageAsync('c', 1)).toEqual(bytes[1])
        expect(await store.getImageAsync('c', 2)).toBeUndefined()
        expect(await store.getImageAsync('c', -1)).toBeUndefined()
        expect(await store.getImageAsync('nope', 0)).toBeUndefined()
        await store.deleteJobAsync('c')
        expect(await store.getImageAsync('c', 0)).toBeUndefined()
      })
    })

    it('reserves within the budget only, atomically, per owner and per day', async () => {
      await withStoreAsync(async (store) => {
        expect(await store.reserveUsageAsync(entry('1'), 0.2)).toEqual({ ok: true })
        expect(await store.reserveUsageAsync(entry('2'), 0.2)).toEqual({ ok: true })
        expect(await store.reserveUsageAsync(entry('3'), 0.2)).toEqual({ ok: false, chargedUsd: 0.16 })
        // Another owner, another day, and no budget are not affected.
        expect(await store.reserveUsageAsync(entry('4', { owner: 'bob' }), 0.2)).toEqual({ ok: true })
        expect(await store.reserveUsageAsync(entry('5', { day: '2025-07-01' }), 0.2)).toEqual({ ok: true })
        expect(await store.reserveUsageAsync(entry('6'), null)).toEqual({ ok: true })
        // Ten racing for room for two: exactly two get it.
        const racing = await Promise.all(
          Array.from({ length: 10 }, (_, index) => store.reserveUsageAsync(entry(`race-${index}`, { owner: 'carol' }), 0.16))
        )
        expect(racing.filter((result) => result.ok)).toHaveLength(2)
        expect((await store.usageEntriesAsync(DAY, 'carol')).map((item) => item.jobId).sort()).toEqual(
          racing.flatMap((result, index) => (result.ok ? [`race-${index}`] : [])).sort()
        )
      })
    })

    it('settles a pending entry once; the first settlement wins; unknown entries change nothing', async () => {
      await withStoreAsync(async (store) => {
        await store.reserveUsageAsync(entry('s'), null)
        expect(await store.settleUsageAsync(DAY, 's', SETTLED)).toBe(true)
        expect(await store.settleUsageAsync(DAY, 's', { ...SETTLED, outcome: 'failed', costUsd: 0 })).toBe(false)
        expect(await store.settleUsageAsync(DAY, 'unknown', SETTLED)).toBe(false)
        expect(await store.settleUsageAsync('2025-07-01', 's', SETTLED)).toBe(false)
        expect(await store.usageEntriesAsync(DAY)).toEqual([
          { ...entry('s'), outcome: 'succeeded', costUsd: 0.05, costEstimated: false, delivered: 1, endedAt: T + 1000 }
        ])
      })
    })

    it('counts settled costs and pending reservations against the budget', async () => {
      await withStoreAsync(async (store) => {
        await store.reserveUsageAsync(entry('p1'), 0.2)
        await store.settleUsageAsync(DAY, 'p1', { ...SETTLED, costUsd: 0.15 })
        expect(await store.reserveUsageAsync(entry('p2'), 0.2)).toEqual({ ok: false, chargedUsd: 0.15 })
        await store.reserveUsageAsync(entry('p3', { reservedUsd: 0.05 }), 0.2)
        expect(await store.usageTotalsAsync(DAY)).toEqual([{ owner: 'alice', edits: 2, images: 1, spentUsd: 0.15, reservedUsd: 0.05 }])
        expect(await store.usageTotalsAsync('2025-01-01')).toEqual([])
      })
    })

    it('sums money exactly (0.08 × 3 is 0.24)', async () => {
      await withStoreAsync(async (store) => {
        for (const id of ['m1', 'm2', 'm3']) {
          await store.reserveUsageAsync(entry(id), 0.24)
          await store.settleUsageAsync(DAY, id, { ...SETTLED, costUsd: 0.08 })
        }
        expect((await store.usageTotalsAsync(DAY))[0]?.spentUsd).toBe(0.24)
      })
    })

    if (factory.reopenAsync !== undefined) {
      const reopenAsync = factory.reopenAsync
      it('keeps jobs, images and the ledger across a reopen', async () => {
        await withStoreAsync(async (first) => {
          const bytes = new Uint8Array([9, 8, 7])
          await first.putJobAsync(
            job('r', { status: 'succeeded', images: [{ contentType: 'image/png', width: 1, height: 1, byteLength: 3 }] })
          )
          await first.putImagesAsync('r', [bytes])
          await first.putJobAsync(job('gone'))
          await first.deleteJobAsync('gone')
          await first.reserveUsageAsync(entry('r'), 1)
          await first.settleUsageAsync(DAY, 'r', SETTLED)
          await first.reserveUsageAsync(entry('open'), 1)
          const second = await reopenAsync(first)
          expect(await second.getJobAsync('r')).toEqual(
            job('r', { status: 'succeeded', images: [{ contentType: 'image/png', width: 1, height: 1, byteLength: 3 }] })
          )
          expect(await second.getJobAsync('gone')).toBeUndefined()
          expect(await second.getImageAsync('r', 0)).toEqual(bytes)
          expect(await second.usageEntriesAsync(DAY)).toEqual([
            { ...entry('r'), outcome: 'succeeded', costUsd: 0.05, costEstimated: false, delivered: 1, endedAt: T + 1000 },
            entry('open')
          ])
          // Still settled once, and the pending one can still be settled.
          expect(await second.settleUsageAsync(DAY, 'r', { ...SETTLED, costUsd: 1 })).toBe(false)
          expect(await second.settleUsageAsync(DAY, 'open', SETTLED)).toBe(true)
          return second
        })
      })
    }

    if (factory.footprintAsync !== undefined) {
      const footprintAsync = factory.footprintAsync
      it('creates nothing when it reads or settles days nobody spent on', async () => {
        await withStoreAsync(async (store) => {
          await store.reserveUsageAsync(entry('there'), null)
          const before = await footprintAsync()
          const asked = Array.from({ length: 20 }, (_, index) => `${2990 + index}-06-15`)
          for (const day of asked) {
            expect(await store.usageTotalsAsync(day)).toEqual([])
            expect(await store.usageEntriesAsync(day, 'alice')).toEqual([])
            expect(await store.settleUsageAsync(day, 'there', SETTLED)).toBe(false)
          }
          const created = (await footprintAsync()).filter((item) => !before.includes(item))
          console.log(`${name}: usage reads: ${created.length} files or keys created for ${asked.length} days asked`)
          expect(created).toEqual([])
          expect((await store.usageEntriesAsync(DAY)).map((item) => item.jobId)).toEqual(['there'])
        })
      })
    }

    it('refuses to be used once closed', async () => {
      const store = await factory.openAsync()
      await store.closeAsync()
      await expect(store.getJobAsync('x')).rejects.toThrow(/closed/)
    })
  })
}
