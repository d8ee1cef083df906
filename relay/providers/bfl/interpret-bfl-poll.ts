import type { ProviderProgress } from '../provider'
import { describeHostBody } from '../shared/host-error'
import { BflReadyResult, type BflPollAnswer } from './bfl-answers'
import type { BflContext } from './bfl-context'

/** A Ready task's signed result URL (valid 10 minutes) and the seed BFL used. */
export interface BflSample {
  sample: string
  seed: number | undefined
}

/**
 * What one poll answer means: the sample once Ready, undefined while the task runs, or the
 * relay error for a final status (statuses: BFL's OpenAPI `StatusResponse` enum).
 */
export function interpretBflPoll(
  context: BflContext,
  taskId: string,
  poll: BflPollAnswer,
  onProgress: (progress: ProviderProgress) => void
): BflSample | undefined {
  const reasons = (): string => describeHostBody({ details: poll.details, error: poll.error }, '')
  switch (poll.status) {
    case 'Pending':
      onProgress(
        typeof poll.progress === 'number' ? { status: 'running', fraction: Math.min(1, Math.max(0, poll.progress)) } : { status: 'queued' }
      )
      return undefined
    case 'Ready': {
      const result = BflReadyResult.safeParse(poll.result)
      if (!result.success) throw context.fail('provider_error', `${taskId} is Ready without a result.sample`)
      return { sample: result.data.sample, seed: result.data.seed ?? undefined }
    }
    case 'Request Moderated':
    case 'Content Moderated':
      throw context.fail('moderated', `${taskId}: ${poll.status} (${reasons()})`)
    case 'Error':
      throw context.fail('provider_error', `${taskId} failed at BFL (${reasons()})`)
    case 'Task not found':
      throw context.fail('provider_error', `${taskId}: Task not found (expired or unknown id)`)
    default:
      // A status this adapter does not know yet: keep polling; the deadline still applies.
      onProgress({ status: 'running' })
      return undefined
  }
}
