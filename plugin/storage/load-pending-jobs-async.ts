import * as z from 'zod/mini'
import { PendingJob } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'
import { PENDING_JOBS_KEY } from './storage-keys'

/** Past any relay's retention, a job can no longer be fetched. */
const MAX_AGE_MS = 24 * 3600 * 1000

/**
 * Edits the relay has accepted but whose results are not yet on the canvas. If the panel closes
 * mid-edit, the next opening finds them here and places (or offers) the paid result.
 */
export async function loadPendingJobsAsync(storage: FigmaPort['clientStorage'], now: number): Promise<PendingJob[]> {
  const parsed = z.array(PendingJob).safeParse(await storage.getAsync(PENDING_JOBS_KEY))
  if (!parsed.success) return []
  return parsed.data.filter((job) => now - Date.parse(job.createdAt) < MAX_AGE_MS)
}
