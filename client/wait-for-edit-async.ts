import { AppError } from '../shared/errors'
import { TERMINAL_STATUSES, type EditJob } from '../shared/relay-api'
import type { RelayClient } from './relay-client'

export interface WaitOptions {
  signal: AbortSignal
  onUpdate?: (job: EditJob) => void
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  /** Seconds each long-poll may hang on the relay. */
  waitSeconds?: number
  /** How long to keep trying while the relay cannot be reached before giving up. */
  unreachableGraceMs?: number
  now: () => number
}

/**
 * Follows a job to its end with long-polls. A paid result must not be lost to a dropped
 * connection, so network errors are retried (with back-off) for a grace period before failing.
 */
export async function waitForEditAsync(relay: RelayClient, id: string, options: WaitOptions): Promise<EditJob> {
  const waitSeconds = options.waitSeconds ?? 20
  const grace = options.unreachableGraceMs ?? 60_000
  let unreachableSince: number | undefined
  let backoff = 500
  for (;;) {
    let job: EditJob
    try {
      job = await relay.getEditAsync(id, waitSeconds, options.signal)
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason
      if (!(error instanceof AppError) || error.code !== 'relay_unreachable') throw error
      unreachableSince ??= options.now()
      if (options.now() - unreachableSince > grace) throw error
      await options.sleepAsync(backoff, options.signal)
      backoff = Math.min(backoff * 2, 5000)
      continue
    }
    unreachableSince = undefined
    backoff = 500
    options.onUpdate?.(job)
    if (TERMINAL_STATUSES.includes(job.status)) return job
  }
}
