import type { PendingJob } from '../../shared/messages'
import type { ResultContext } from '../edit/collect-results-async'

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
    ...(context.parent === undefined ? {} : { parent: context.parent }),
    ...(context.area === undefined ? {} : { area: context.area })
  }
}
