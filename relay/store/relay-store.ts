import type { JobRecord } from '../jobs/job-record'
import type { ReserveResult } from '../usage/fits-budget'
import type { UsageEntry, UsageSettlement, UsageTotals } from '../usage/usage-entry'

export interface JobQuery {
  /** Only jobs that are not succeeded, failed or canceled. */
  unfinished?: boolean
  /** Only jobs whose `expiresAt` is at or before this time (ms). */
  expiredAt?: number
}

/**
 * Everything the relay keeps: jobs, their result images (within retention) and the usage ledger.
 * Every method is async so that any runtime can implement it: in memory (tests, one process),
 * files on disk (Node: `open-file-store-async.ts`), or a Durable Object / KV + R2 on Workers.
 *
 * The contract every implementation keeps (test/team/store-contract.ts checks it):
 *
 * - A promise resolves once the change is durable (for a persistent store: on disk, fsynced). A
 *   read after a resolved write sees it, in this process and after a restart.
 * - Records come back equal to what was put (as JSON: `undefined` fields may be absent); callers
 *   never mutate what they get or what they put.
 * - `putImagesAsync` is called before the job that lists those images is put as succeeded, so a
 *   succeeded job's images are always there. `deleteJobAsync` removes the job and its images.
 * - `reserveUsageAsync` is atomic per owner: the budget check and the append happen as one step,
 *   so two edits racing for the last of a budget cannot both get it.
 * - `settleUsageAsync` is idempotent: only a pending entry is settled, the first settlement wins,
 *   and settling an unknown job changes nothing. It answers whether it changed the entry.
 * - Ledger entries are never deleted: they are the record of what was spent.
 */
export interface RelayStore {
  getJobAsync(id: string): Promise<JobRecord | undefined>
  /** Creates or replaces the job with this id. */
  putJobAsync(job: JobRecord): Promise<void>
  /** Jobs matching every condition given (all jobs with none), in no particular order. */
  listJobsAsync(query?: JobQuery): Promise<JobRecord[]>
  /** The job and its images; nothing when there is no such job. */
  deleteJobAsync(id: string): Promise<void>

  /** Keeps a job's result bytes, index by index. */
  putImagesAsync(jobId: string, images: readonly Uint8Array[]): Promise<void>
  getImageAsync(jobId: string, index: number): Promise<Uint8Array | undefined>

  /**
   * Appends a pending entry when the owner's charges that day (settled costs + pending
   * reservations) plus `entry.reservedUsd` stay within `dailyBudgetUsd` (null: no budget).
   */
  reserveUsageAsync(entry: UsageEntry, dailyBudgetUsd: number | null): Promise<ReserveResult>
  settleUsageAsync(day: string, jobId: string, settlement: UsageSettlement): Promise<boolean>
  /** One UTC day's entries (YYYY-MM-DD), of one owner or of all. */
  usageEntriesAsync(day: string, owner?: string): Promise<UsageEntry[]>
  /** Per-owner totals of one UTC day. */
  usageTotalsAsync(day: string): Promise<UsageTotals[]>

  /** Flushes and releases the store; later calls fail. */
  closeAsync(): Promise<void>
}
