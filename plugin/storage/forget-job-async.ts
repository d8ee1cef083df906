import type { FigmaPort } from '../figma-port'
import { loadPendingJobsAsync } from './load-pending-jobs-async'
import { PENDING_JOBS_KEY } from './storage-keys'

export async function forgetJobAsync(storage: FigmaPort['clientStorage'], jobId: string, now: number): Promise<void> {
  const jobs = await loadPendingJobsAsync(storage, now)
  await storage.setAsync(
    PENDING_JOBS_KEY,
    jobs.filter((job) => job.jobId !== jobId)
  )
}
