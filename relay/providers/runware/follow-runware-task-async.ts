import { AppError } from '../../../shared/errors'
import { pollAsync } from '../shared/poll-async'
import type { RunwareItem } from './runware-answers'
import type { RunwareContext } from './runware-context'
import { runwareError } from './runware-error'
import { postRunwareAsync, type RunwareAnswer } from './post-runware-async'

/** Consecutive polls that could not reach Runware at all before the adapter stops asking. */
const MAX_UNREACHABLE_POLLS = 4

/**
 * What a finished task left: the items that succeeded, and how many results Runware reported
 * failed (the rest of `numberResults`, paid for, are kept).
 */
export interface FinishedTask {
  items: RunwareItem[]
  failed: number
}

export interface FollowOptions {
  taskUUID: string
  expected: number
  /** Runware acknowledged the task, so "not found" is a failure. */
  known: boolean
  signal: AbortSignal
  /** `done` results in, and whether Runware has shown the task yet. */
  report(done: number, seen: boolean): void
}

/**
 * Follows a task with getResponse until its results are in. Unless `known` (after an ambiguous
 * submit), "not found" on the first answer means Runware never took it: returns undefined, and
 * submitting again cannot bill twice. Once the task has been seen, it is never resubmitted.
 */
export async function followRunwareTaskAsync(context: RunwareContext, options: FollowOptions): Promise<FinishedTask | undefined> {
  const { taskUUID, signal } = options
  let seen = options.known
  let unreachable = 0
  const outcome = await pollAsync<FinishedTask | 'absent'>(
    async () => {
      let answer: RunwareAnswer
      try {
        answer = await postRunwareAsync(context, JSON.stringify([{ taskType: 'getResponse', taskUUID }]), signal)
      } catch (error) {
        if (!seen && error instanceof AppError && /taskFailedOrNotFound/.test(error.detail ?? '')) return 'absent'
        throw error
      }
      if (answer.kind !== 'ok') {
        // Polls are retried freely, but a host that cannot be reached at all is not polled until the deadline.
        unreachable = answer.kind === 'unreached' || (answer.kind === 'uncertain' && answer.network) ? unreachable + 1 : 0
        context.log('provider.poll_failed', { taskUUID, kind: answer.kind, detail: answer.error.detail })
        if (unreachable >= MAX_UNREACHABLE_POLLS) throw answer.error
        return undefined
      }
      unreachable = 0
      const items = (answer.envelope.data ?? []).filter((item) => item.taskUUID === taskUUID)
      if (items.length > 0) seen = true
      return finishedOf(context, items, options)
    },
    { signal, sleepAsync: context.deps.sleepAsync }
  )
  return outcome === 'absent' ? undefined : outcome
}

/** The task's end when its items show one (throws when every result failed); else reports progress and returns undefined. */
function finishedOf(context: RunwareContext, items: RunwareItem[], options: FollowOptions): FinishedTask | undefined {
  const { taskUUID, expected } = options
  const successes = items.filter((item) => item.status === 'success' || (item.status === undefined && hasImage(item)))
  const errors = items.filter((item) => item.status === 'error')
  const processing = items.length - successes.length - errors.length
  if (successes.length >= expected) return { items: successes, failed: 0 }
  if (errors.length > 0 && processing === 0 && successes.length + errors.length >= expected) {
    if (successes.length === 0) throw runwareError(200, errors[0]?.error)
    // Some results failed and the rest were paid for: keep what came back.
    context.log('provider.partial', {
      taskUUID,
      succeeded: successes.length,
      failed: errors.length,
      detail: runwareError(200, errors[0]?.error).detail
    })
    return { items: successes, failed: errors.length }
  }
  options.report(successes.length, items.length > 0)
  context.log('provider.poll', { taskUUID, done: successes.length, expected })
  return undefined
}

function hasImage(item: RunwareItem): boolean {
  return item.imageBase64Data !== undefined || item.imageDataURI !== undefined || item.imageURL !== undefined || item.mediaURL !== undefined
}
