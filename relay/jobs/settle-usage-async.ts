import { describeError } from '../../shared/describe-error'
import type { JobStatus } from '../../shared/relay-api'
import { utcDay } from '../usage/utc-day'
import type { ResultCost } from './bound-cost'
import type { EditJobsDeps } from './edit-jobs'
import type { JobRecord } from './job-record'

export type SettledOutcome = 'succeeded' | 'failed' | 'canceled'

/** What an ended job's ledger entry is charged: none (released) when undefined. */
export interface SettledCharge {
  costUsd: number
  costEstimated: boolean
  delivered: number
}

type SettleDeps = Pick<EditJobsDeps, 'store' | 'now' | 'log'>

/** The ledger outcome of a job's status (one that has not ended settles as failed). */
export function settledOutcomeOf(status: JobStatus): SettledOutcome {
  return status === 'succeeded' ? 'succeeded' : status === 'canceled' ? 'canceled' : 'failed'
}

/** Settles the job's ledger entry (idempotent: the first settlement wins). Answers whether it changed it. */
export async function settleUsageAsync(
  deps: SettleDeps,
  job: Pick<JobRecord, 'id' | 'createdAt'>,
  outcome: SettledOutcome,
  charge: SettledCharge | undefined,
  errorCode?: string
): Promise<boolean> {
  try {
    return await deps.store.settleUsageAsync(utcDay(job.createdAt), job.id, {
      outcome,
      costUsd: charge?.costUsd ?? 0,
      costEstimated: charge?.costEstimated ?? false,
      delivered: charge?.delivered ?? 0,
      // Stryker disable next-line ConditionalExpression: settled() (relay/usage/settled.ts), which every store applies, drops an undefined errorCode
      ...(errorCode === undefined ? {} : { errorCode }),
      endedAt: deps.now()
    })
  } catch (error) {
    deps.log('usage.settle_failed', { jobId: job.id, error: describeError(error) })
    return false
  }
}

/**
 * Ends the run's ledger entry: a job that delivered images (succeeded, or canceled on a host that
 * ran it anyway) costs what the host reported (or the catalogue price); a failed or canceled one
 * without images is released, unless the host reported a cost for it.
 */
export async function settleRunAsync(deps: SettleDeps, base: JobRecord, cost: ResultCost | undefined): Promise<void> {
  const job = (await deps.store.getJobAsync(base.id)) ?? base
  const outcome = settledOutcomeOf(job.status)
  // Stryker disable next-line ConditionalExpression: a failed (or unended) job lists no images: only a success or a result kept after a cancel writes them
  const delivered = outcome === 'failed' ? 0 : job.images.length
  const charged =
    cost !== undefined && (delivered > 0 || cost.hostBilled)
      ? { costUsd: cost.costUsd, costEstimated: cost.costEstimated, delivered }
      : undefined
  await settleUsageAsync(deps, job, outcome, charged, job.error?.code)
}
