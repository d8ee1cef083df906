import * as z from 'zod'
import { PendingJob } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'

type Storage = FigmaPort['clientStorage']

const KEY = 'kontext-edit/pending-jobs'
const MAX_JOBS = 20
/** Past any relay's retention, a job can no longer be fetched. */
const MAX_AGE_MS = 24 * 3600 * 1000

/**
 * Edits the relay has accepted but whose results are not yet on the canvas. If the panel closes
 * mid-edit, the next opening finds them here and places (or offers) the paid result.
 */
export async function loadPendingJobsAsync(storage: Storage, now: number): Promise<PendingJob[]> {
  const parsed = z.array(PendingJob).safeParse(await storage.getAsync(KEY))
  if (!parsed.success) return []
  return parsed.data.filter((job) => now - Date.parse(job.createdAt) < MAX_AGE_MS)
}

export async function rememberJobAsync(storage: Storage, job: PendingJob, now: number): Promise<void> {
  const jobs = (await loadPendingJobsAsync(storage, now)).filter((existing) => existing.jobId !== job.jobId)
  await storage.setAsync(KEY, [...jobs, job].slice(-MAX_JOBS))
}

export async function forgetJobAsync(storage: Storage, jobId: string, now: number): Promise<void> {
  const jobs = await loadPendingJobsAsync(storage, now)
  await storage.setAsync(KEY, jobs.filter((job) => job.jobId !== jobId))
}
