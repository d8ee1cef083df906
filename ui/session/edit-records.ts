import type { HistoryEntry, PendingJob } from '../../shared/messages'
import type { PendingPlacement, ResultContext } from '../edit/run-edit-async'

/** A job the relay has, remembered in the sandbox until its result is placed (so a closed panel loses nothing). */
export function pendingJobOf(jobId: string, context: ResultContext, relayUrl: string, now: number): PendingJob {
  return {
    jobId,
    relayUrl,
    sourceId: context.sourceId,
    sourceName: context.sourceName,
    prompt: context.prompt,
    options: context.options,
    createdAt: new Date(now).toISOString(),
    ...(context.parent === undefined ? {} : { parent: context.parent })
  }
}

/** A placed result, as the file's history lists it (the sandbox adds the thumbnail). */
export function historyEntryOf(pending: PendingPlacement, nodeIds: string[], elapsedMs: number, now: number): Omit<HistoryEntry, 'thumbnail'> {
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
