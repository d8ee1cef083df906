import { TERMINAL_STATUSES } from '../../shared/relay-api'
import type { JobRecord } from './job-record'
import type { JobsContext } from './jobs-context'
import { settledOutcomeOf, settleUsageAsync } from './settle-usage-async'

const RESTARTED = 'The relay restarted while this edit was running, so its result was lost. Run the edit again.'

/** Settles one ended job's ledger entry in case a stop came between its two writes; answers whether it changed it. */
async function settleEndedAsync(context: JobsContext, job: JobRecord): Promise<boolean> {
  const { deps } = context
  if (job.hostRunning === true) {
    // Canceled on a host that cannot stop, and cut off before the host ended: the host ran and
    // billed it, but its figure is lost, so the reservation (the catalogue price) is charged.
    await context.changes.patchEndedAsync(job.id, { hostRunning: false })
    return settleUsageAsync(deps, job, 'canceled', { costUsd: job.reservedUsd, costEstimated: true, delivered: 0 }, 'canceled')
  }
  // What the record says the host delivered and cost, as the run would have settled it: a success,
  // or a result kept after a cancel its host could not act on (images and the host's figure on a
  // canceled job). A job without them (failed, or canceled before any result) is charged 0.
  const charge = { costUsd: job.costUsd ?? 0, costEstimated: job.costEstimated, delivered: job.images.length }
  return settleUsageAsync(deps, job, settledOutcomeOf(job.status), charge, job.error?.code)
}

/** See `EditJobs.recoverAsync`. */
export async function recoverJobsAsync(context: JobsContext): Promise<{ interrupted: number; settled: number }> {
  const { deps } = context
  let interrupted = 0
  let settled = 0
  for (const job of await deps.store.listJobsAsync()) {
    if (context.running.has(job.id)) continue
    if (!TERMINAL_STATUSES.includes(job.status)) {
      // Cut off by a stop or a crash: failed with `interrupted`, ledger released.
      await context.changes.finishAsync(job.id, 'failed', { error: { code: 'interrupted', message: RESTARTED }, progress: undefined })
      await settleUsageAsync(deps, job, 'failed', undefined, 'interrupted')
      interrupted += 1
      deps.log('job.interrupted', { jobId: job.id, owner: job.owner, provider: job.provider, status: job.status, reason: 'restart' })
    } else if (await settleEndedAsync(context, job)) {
      settled += 1
    }
  }
  if (interrupted + settled > 0) deps.log('relay.recovered', { interrupted, settled })
  return { interrupted, settled }
}
