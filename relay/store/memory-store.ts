import { TERMINAL_STATUSES } from '../../shared/relay-api'
import type { JobRecord } from '../jobs/job-record'
import { fitsBudget } from '../usage/fits-budget'
import { settled } from '../usage/settled'
import { totalsOf } from '../usage/totals-of'
import type { UsageEntry } from '../usage/usage-entry'
import type { JobQuery, RelayStore } from './relay-store'

/** The in-memory store, with synchronous views for tests (`get`, `values`). */
export interface MemoryStore extends RelayStore {
  /** The job as stored, at once (tests). */
  get(id: string): JobRecord | undefined
  /** Every stored job, at once (tests). */
  values(): IterableIterator<JobRecord>
}

export function matchesQuery(job: JobRecord, query: JobQuery): boolean {
  if (query.unfinished === true && TERMINAL_STATUSES.includes(job.status)) return false
  if (query.expiredAt !== undefined && job.expiresAt > query.expiredAt) return false
  return true
}

/** Everything in maps: for tests and for a relay that need not survive a restart. */
export function createMemoryStore(): MemoryStore {
  const jobs = new Map<string, JobRecord>()
  const images = new Map<string, Uint8Array[]>()
  /** day → jobId → entry */
  const ledger = new Map<string, Map<string, UsageEntry>>()
  let closed = false

  function open(): void {
    if (closed) throw new Error('The store is closed.')
  }

  function dayOf(day: string): Map<string, UsageEntry> {
    let entries = ledger.get(day)
    if (entries === undefined) {
      entries = new Map()
      ledger.set(day, entries)
    }
    return entries
  }

  return {
    get: (id) => jobs.get(id),
    values: () => jobs.values(),

    async getJobAsync(id) {
      open()
      return jobs.get(id)
    },
    async putJobAsync(job) {
      open()
      jobs.set(job.id, job)
    },
    async listJobsAsync(query = {}) {
      open()
      return [...jobs.values()].filter((job) => matchesQuery(job, query))
    },
    async deleteJobAsync(id) {
      open()
      jobs.delete(id)
      images.delete(id)
    },

    async putImagesAsync(jobId, bytes) {
      open()
      images.set(
        jobId,
        bytes.map((image) => image.slice())
      )
    },
    async getImageAsync(jobId, index) {
      open()
      return images.get(jobId)?.[index]
    },

    async reserveUsageAsync(entry, dailyBudgetUsd) {
      open()
      const day = dayOf(entry.day)
      const fits = fitsBudget(day.values(), entry, dailyBudgetUsd)
      if (fits.ok) day.set(entry.jobId, entry)
      return fits
    },
    async settleUsageAsync(day, jobId, settlement) {
      open()
      const entries = ledger.get(day)
      const entry = entries?.get(jobId)
      if (entries === undefined || entry === undefined || entry.outcome !== 'pending') return false
      entries.set(jobId, settled(entry, settlement))
      return true
    },
    async usageEntriesAsync(day, owner) {
      open()
      return [...(ledger.get(day)?.values() ?? [])].filter((entry) => owner === undefined || entry.owner === owner)
    },
    async usageTotalsAsync(day) {
      open()
      return totalsOf(ledger.get(day)?.values() ?? [])
    },

    async closeAsync() {
      closed = true
    }
  }
}
