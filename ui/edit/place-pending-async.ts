import type { PendingPlacement } from './collect-results-async'
import type { EditDeps } from './edit-deps'

export async function placePendingAsync(
  pending: PendingPlacement,
  deps: EditDeps,
  signal: AbortSignal
): Promise<{ nodeIds: string[]; besideSource: boolean }> {
  deps.onProgress({ stage: 'placing', jobId: pending.job.id })
  return deps.plugin.placeResultsAsync(pending.requestId, pending.sourceId, pending.images, signal)
}
