import { AppError } from '../../../shared/errors'
import type { ProviderEditInput } from '../provider'
import { submitWithRetriesAsync } from '../shared/submit-with-retries-async'
import { buildRunwareBody, type RunwareCall } from './build-runware-body'
import { followRunwareTaskAsync, type FinishedTask } from './follow-runware-task-async'
import { postRunwareAsync } from './post-runware-async'
import type { RunwareEnvelope } from './runware-answers'
import type { RunwareContext } from './runware-context'

/** Runware's docs advise a first delay before polling an async task (docs/hosts.md, "Runware"). */
const ASYNC_FIRST_POLL_MS = 500

type Report = (done: number, seen: boolean) => void

/**
 * Submits one task (never twice once Runware may have it) and follows it to its end.
 *
 * Runware lets the client choose the taskUUID and `getResponse` answers for a task by that UUID,
 * so after an ambiguous failure (a 5xx, a reset after sending, a garbled answer) this asks before
 * it submits again: a task is never paid for twice, in sync or async mode. Should Runware already
 * have the task when it is sent again (a poll that did not see it yet), it answers
 * `conflictTaskUUID` and bills nothing; the task runs and is billed all the same, so it is
 * followed with `getResponse` as Runware's Python SDK does (Runware/sdk-python `runware/base.py`,
 * `_retry_with_reconnect`), instead of failing an edit that is being paid for.
 */
export async function runRunwareTaskAsync(
  context: RunwareContext,
  input: ProviderEditInput,
  call: RunwareCall,
  report: Report
): Promise<FinishedTask> {
  const { signal } = input
  const { taskUUID, numberResults: expected } = call
  // Kept only while a resubmit may need it (same taskUUID, same bytes); dropped once Runware has
  // the task, so an edit waiting at the host holds its reference once, not its request body too.
  let body: Uint8Array<ArrayBuffer> | undefined
  return submitWithRetriesAsync<FinishedTask>(context.deps, signal, {
    attemptAsync: async (attempt) => {
      context.log('provider.submit', { taskUUID, attempt, delivery: call.delivery, numberResults: expected })
      body ??= buildRunwareBody(input, call)
      const answer = await postRunwareAsync(context, body, signal)
      if (answer.kind === 'ok' || answer.kind === 'conflict') body = undefined
      if (answer.kind === 'ok') return { kind: 'accepted', value: await takeAcceptedAsync(context, call, answer.envelope, signal, report) }
      if (answer.kind === 'conflict') {
        // Runware has this task (sent before, its answer lost, and a poll that did not see it yet):
        // it runs and is billed, so take its results. The SDK does this only on a retry, as its
        // callers may choose UUIDs; the relay's are fresh per task, so a conflict is always its own.
        context.log('provider.conflict', { taskUUID, attempt, detail: answer.error.detail })
        report(0, true)
        const followed = await followRunwareTaskAsync(context, { taskUUID, expected, known: true, signal, report })
        if (followed === undefined) {
          throw new AppError('provider_error', undefined, {
            detail: 'runware answered conflictTaskUUID for a task getResponse does not know',
            cause: answer.error
          })
        }
        return { kind: 'accepted', value: followed }
      }
      context.log('provider.uncertain', { taskUUID, attempt, kind: answer.kind, detail: answer.error.detail })
      if (answer.kind === 'uncertain') return { kind: 'ambiguous', error: answer.error, retryAfterMs: answer.retryAfterMs }
      return { kind: 'refused', error: answer.error, retryAfterMs: answer.kind === 'refused' ? answer.retryAfterMs : undefined }
    },
    // The task may have run (and been billed): ask for it by its UUID before anything else.
    recoverAsync: async (attempt) => {
      // Following the task may take as long as the task: rebuilt from the reference should it be absent.
      body = undefined
      const recovered = await followRunwareTaskAsync(context, { taskUUID, expected, known: false, signal, report })
      if (recovered === undefined) return { kind: 'absent' }
      context.log('provider.recovered', { taskUUID, attempt })
      return { kind: 'found', value: recovered }
    }
  })
}

/** A sync answer carries the results; an async one is an acknowledgement, and the results come from getResponse. */
async function takeAcceptedAsync(
  context: RunwareContext,
  call: RunwareCall,
  envelope: RunwareEnvelope,
  signal: AbortSignal,
  report: Report
): Promise<FinishedTask> {
  const { taskUUID, numberResults: expected } = call
  if (call.delivery === 'sync') return { items: (envelope.data ?? []).filter((item) => item.taskUUID === taskUUID), failed: 0 }
  report(0, false)
  await context.deps.sleepAsync(ASYNC_FIRST_POLL_MS, signal)
  const finished = await followRunwareTaskAsync(context, { taskUUID, expected, known: true, signal, report })
  if (finished === undefined) throw new AppError('provider_error', undefined, { detail: 'runware lost an acknowledged task' })
  return finished
}
