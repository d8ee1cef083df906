import { AppError } from '../../shared/errors'
import { TERMINAL_STATUSES } from '../../shared/relay-api'
import type { JobsContext } from './jobs-context'
import { settleUsageAsync } from './settle-usage-async'

/** After the grace time, how long aborted host calls get to unwind before shutdown goes on. */
const ABORT_UNWIND_MS = 2_000

const STOPPED = 'The relay was stopped before this edit finished, so its result was lost. Run the edit again.'

/** Waits for `work` or `ms`, whichever is first, and leaves no timer behind. */
async function waitAtMostAsync(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/** Records the runs still going as failed (`interrupted`) and stops their host calls. */
async function interruptRunsAsync(context: JobsContext, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const job = await context.deps.store.getJobAsync(id)
    if (job !== undefined && !TERMINAL_STATUSES.includes(job.status)) {
      await context.changes.finishAsync(id, 'failed', { error: { code: 'interrupted', message: STOPPED }, progress: undefined })
      context.deps.log('job.interrupted', { jobId: id, owner: job.owner, provider: job.provider, reason: 'shutdown' })
    }
    context.controllers.get(id)?.abort(new AppError('interrupted', STOPPED))
  }
}

/** See `EditJobs.shutdownAsync`. */
export async function shutDownJobsAsync(context: JobsContext, graceMs: number): Promise<{ finished: number; interrupted: number }> {
  const { deps } = context
  context.draining = true
  const inFlight = context.running.size
  if (inFlight > 0) {
    deps.log('relay.draining', { running: inFlight, graceMs })
    await waitAtMostAsync(Promise.allSettled([...context.running.values()]), graceMs)
  }
  const left = [...context.controllers.keys()]
  await interruptRunsAsync(context, left)
  // Aborted host calls unwind and settle their ledger entries; a host call that ignores the
  // abort is not waited for, and its entry is released here.
  await waitAtMostAsync(Promise.allSettled([...context.running.values()]), ABORT_UNWIND_MS)
  for (const id of left) {
    const job = await deps.store.getJobAsync(id)
    // A canceled edit its host still runs will be billed: its reservation is charged, not released.
    if (job?.hostRunning === true)
      await settleUsageAsync(deps, job, 'canceled', { costUsd: job.reservedUsd, costEstimated: true, delivered: 0 }, 'canceled')
    else if (job !== undefined) await settleUsageAsync(deps, job, 'failed', undefined, 'interrupted')
  }
  return { finished: inFlight - left.length, interrupted: left.length }
}
