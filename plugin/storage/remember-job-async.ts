import type { PendingJob } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'
import { loadPendingJobsAsync } from './load-pending-jobs-async'
import { PENDING_JOBS_KEY } from './storage-keys'

const MAX_JOBS = 20

export async function rememberJobAsync(storage: FigmaPort['clientStorage'], job: PendingJob, now: number): Promise<void> {
  const jobs = (await loadPendingJobsAsync(storage, now)).filter((existing) => existing.jobId !== job.jobId)
  await storage.setAsync(PENDING_JOBS_KEY, [...jobs, job].slice(-MAX_JOBS))
}
