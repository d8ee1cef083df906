import { costBasisOf } from './cost-basis-of'
import { AppError } from '../../shared/errors'
import { estimateCostUsd } from '../../shared/models'
import type { Provider } from '../providers/provider'
import { utcDay } from '../usage/utc-day'
import type { UsageEntry } from '../usage/usage-entry'
import type { EditHold } from './edit-capacity'
import type { CreateJobInput } from './edit-jobs'
import type { JobRecord } from './job-record'
import { refuseWhileDraining, type JobsContext } from './jobs-context'
import { runJobAsync } from './run-job-async'

function money(usd: number): string {
  return `$${usd.toFixed(2)}`
}

/** A new job's record: queued, nothing delivered, its price held. */
function newJob(context: JobsContext, input: CreateJobInput, reservedUsd: number): JobRecord {
  const { deps } = context
  const now = deps.now()
  return {
    id: deps.randomUUID(),
    owner: input.account.owner,
    status: 'queued',
    provider: input.provider,
    model: input.model,
    createdAt: now,
    updatedAt: now,
    // Unfinished jobs expire only after the host's deadline plus the retention time.
    expiresAt: now + deps.providerTimeoutMs + deps.resultTtlMs,
    numImages: input.request.numImages,
    reservedUsd,
    images: [],
    costEstimated: false
  }
}

/**
 * Stores the job, then reserves its price in the ledger: a crash between the two leaves a job that
 * recovery marks interrupted, never a reservation that nothing settles. Throws 402
 * budget_exceeded (the job removed) when the price does not fit the owner's daily budget.
 */
async function storeAndReserveAsync(context: JobsContext, job: JobRecord, input: CreateJobInput): Promise<void> {
  const { deps } = context
  await deps.store.putJobAsync(job)
  const entry: UsageEntry = {
    jobId: job.id,
    owner: job.owner,
    day: utcDay(job.createdAt),
    createdAt: job.createdAt,
    provider: input.provider,
    model: input.model,
    images: input.request.numImages,
    reservedUsd: job.reservedUsd,
    outcome: 'pending'
  }
  const reservation = await deps.store.reserveUsageAsync(entry, input.account.dailyBudgetUsd).catch(async (error: unknown) => {
    await deps.store.deleteJobAsync(job.id)
    throw error
  })
  if (reservation.ok) return
  await deps.store.deleteJobAsync(job.id)
  const budget = input.account.dailyBudgetUsd ?? 0
  deps.log('job.refused_budget', {
    owner: job.owner,
    dailyBudgetUsd: budget,
    chargedUsd: reservation.chargedUsd,
    priceUsd: job.reservedUsd
  })
  throw new AppError(
    'budget_exceeded',
    `This edit (about ${money(job.reservedUsd)}) does not fit your daily budget of ${money(budget)} on this relay: ${money(reservation.chargedUsd)} is spent or held by running edits today. It starts again at midnight UTC, or ask whoever runs the relay to raise it.`
  )
}

/** Runs `body` in the job's log scope (its id on every line, its prompt kept out), where there is one. */
function inJobScope<T>(context: JobsContext, job: JobRecord, input: CreateJobInput, body: () => T): T {
  const logContext = context.deps.logContext
  return logContext === undefined ? body() : logContext.run({ jobId: job.id, prompt: input.request.prompt }, body)
}

/** Logs the new job and starts its run in the background, which keeps `hold` until it ends. */
function launch(context: JobsContext, job: JobRecord, input: CreateJobInput, provider: Provider, hold: EditHold): void {
  const { deps } = context
  inJobScope(context, job, input, () =>
    deps.log('job.created', {
      jobId: job.id,
      owner: job.owner,
      provider: input.provider,
      model: input.model,
      references: input.references.length,
      numImages: input.request.numImages,
      reservedUsd: job.reservedUsd,
      ...(deps.logPrompts === true ? { prompt: input.request.prompt } : {})
    })
  )
  const controller = new AbortController()
  context.controllers.set(job.id, controller)
  const run = inJobScope(context, job, input, () => runJobAsync(context, job, input, provider, controller, hold)).finally(() =>
    context.running.delete(job.id)
  )
  context.running.set(job.id, run)
}

/** Reserves the edit's price, stores the job and starts its run, which keeps `hold` until it ends. */
export async function startJobAsync(context: JobsContext, input: CreateJobInput, hold: EditHold): Promise<JobRecord> {
  refuseWhileDraining(context)
  const provider = context.deps.providers[input.provider]
  if (provider === undefined) throw new AppError('provider_not_configured')
  const job = newJob(context, input, estimateCostUsd(input.offer.price, costBasisOf(input, input.request.numImages)))
  await storeAndReserveAsync(context, job, input)
  launch(context, job, input, provider, hold)
  return job
}
