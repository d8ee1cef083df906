import type { HistoryEntry } from '../../shared/messages'
import type { PendingPlacement } from '../edit/collect-results-async'

/** A placed result, as the file's history lists it (the sandbox adds the thumbnail). */
export function historyEntryOf(
  pending: PendingPlacement,
  nodeIds: string[],
  elapsedMs: number,
  now: number
): Omit<HistoryEntry, 'thumbnail'> {
  const first = pending.images[0]?.provenance
  return {
    jobId: pending.job.id,
    prompt: first?.prompt ?? '',
    provider: pending.job.provider,
    model: pending.job.model,
    ...(first?.seed === undefined ? {} : { seed: first.seed }),
    ...(pending.job.cost === undefined ? {} : { costUsd: pending.job.cost }),
    elapsedMs,
    createdAt: new Date(now).toISOString(),
    sourceName: first?.sourceName ?? '',
    nodeIds
  }
}
