import { AppError } from '../../shared/errors'
import { describeError } from '../../shared/describe-error'
import { toRelayErrorInfo } from '../../shared/to-relay-error-info'
import { TERMINAL_STATUSES } from '../../shared/relay-api'
import type { Provider, ProviderImage, ProviderResult } from '../providers/provider'
import { costBasisOf } from './cost-basis-of'
import { planOutputSize } from './plan-output-size'
import { boundCost, type ResultCost } from './bound-cost'
import { keepAsked } from './keep-asked'
import { storedImagesOf } from './stored-images-of'
import type { EditHold } from './edit-capacity'
import type { CreateJobInput } from './edit-jobs'
import type { JobRecord } from './job-record'
import type { JobsContext } from './jobs-context'
import { settleRunAsync } from './settle-usage-async'

/** Calls the host with the edit's output size: the requested ratio (or the reference's), then the host's own nearest size. */
function callHostAsync(
  context: JobsContext,
  id: string,
  input: CreateJobInput,
  provider: Provider,
  signal: AbortSignal
): Promise<ProviderResult> {
  const { size, aspectRatio } = planOutputSize(input.request, input.offer, input.references[0]!)
  return provider.editAsync({
    request: input.request,
    model: input.model,
    offer: input.offer,
    size,
    aspectRatio,
    references: input.references,
    signal,
    onProgress: (progress) => {
      // The job is running on the relay's side from the start; a host's own queue shows as progress 0.
      context.changes
        .updateAsync(id, { progress: progress.status === 'queued' ? 0 : progress.fraction })
        .catch((error: unknown) => context.deps.log('job.progress_not_saved', { jobId: id, error: describeError(error) }))
    }
  })
}

/**
 * Keeps a host's result (`kept`: already cut to the images asked for) on its job: each image
 * checked (placeable sizes), then the bytes stored, then the record, unless the job ended meanwhile.
 */
async function keepResultAsync(
  context: JobsContext,
  id: string,
  input: CreateJobInput,
  result: ProviderResult,
  kept: readonly ProviderImage[],
  cost: ResultCost,
  started: number
): Promise<void> {
  const { deps, changes } = context
  const images = storedImagesOf(kept, deps.images)
  const current = await deps.store.getJobAsync(id)
  if (current === undefined || (TERMINAL_STATUSES.includes(current.status) && current.hostRunning !== true)) {
    deps.log('job.result_after_end', {
      jobId: id,
      provider: input.provider,
      status: current?.status,
      images: result.images.length,
      costUsd: cost.costUsd
    })
    return
  }
  // The bytes first: a job that lists images always has them.
  await deps.store
    .putImagesAsync(
      id,
      kept.map((image) => image.bytes)
    )
    .catch((error: unknown) => {
      throw new AppError(
        'internal',
        'The relay could not keep the result. Try again; if it keeps happening, tell whoever runs the relay.',
        { detail: 'store', cause: error }
      )
    })
  const outcome = { images, costUsd: cost.costUsd, costEstimated: cost.costEstimated, hostJobId: result.hostJobId }
  // Stryker disable next-line ConditionalExpression,BooleanLiteral: a job its host still runs is canceled, which finishAsync refuses all the same; this skips that refused write
  const succeeded = current.hostRunning !== true && (await changes.finishAsync(id, 'succeeded', { ...outcome, progress: undefined }))
  if (succeeded) {
    deps.log('job.succeeded', {
      jobId: id,
      provider: input.provider,
      images: images.length,
      costUsd: result.costUsd,
      ms: deps.now() - started
    })
  } else if (
    (await changes.patchEndedAsync(id, { ...outcome, hostRunning: false, expiresAt: deps.now() + deps.resultTtlMs })) !== undefined
  ) {
    // Canceled by its owner (maybe just now) on a host that ran it anyway: paid for, so kept for the owner.
    deps.log('job.result_after_cancel', {
      jobId: id,
      provider: input.provider,
      images: images.length,
      costUsd: cost.costUsd,
      ms: deps.now() - started
    })
  } else {
    deps.log('job.result_after_end', { jobId: id, provider: input.provider, images: images.length, costUsd: cost.costUsd })
  }
}

/** Records a run that failed (a canceled or stopped one was already recorded by whoever stopped it). */
async function recordFailureAsync(
  context: JobsContext,
  id: string,
  input: CreateJobInput,
  error: unknown,
  timedOut: boolean,
  started: number
): Promise<void> {
  const { deps } = context
  const appError = timedOut
    ? new AppError('timeout')
    : error instanceof AppError
      ? error
      : new AppError('provider_error', undefined, { cause: error })
  await context.changes
    .finishAsync(id, 'failed', { error: toRelayErrorInfo(appError), progress: undefined })
    .catch((saveError: unknown) => deps.log('job.not_saved', { error: describeError(saveError) }))
  deps.log('job.failed', {
    jobId: id,
    provider: input.provider,
    code: appError.code,
    detail: describeError(appError),
    ms: deps.now() - started
  })
}

/**
 * One job's run, from queued to its end at the host: calls the host, keeps the result or records
 * the failure, then settles the ledger and frees the job's place (`hold`) whatever happened.
 */
export async function runJobAsync(
  context: JobsContext,
  job: JobRecord,
  input: CreateJobInput,
  provider: Provider,
  controller: AbortController,
  hold: EditHold
): Promise<void> {
  const { deps, changes } = context
  const id = job.id
  const started = deps.now()
  const deadline = AbortSignal.timeout(deps.providerTimeoutMs)
  let cost: ResultCost | undefined
  try {
    await changes.updateAsync(id, { status: 'running' })
    const result = await callHostAsync(context, id, input, provider, AbortSignal.any([controller.signal, deadline]))
    // Bounded before anything is kept: no more images than asked, a believable cost.
    const kept = keepAsked(result.images, input.request.numImages, deps.log)
    cost = boundCost(
      result.costUsd,
      input.offer.price,
      costBasisOf(input, input.request.numImages),
      costBasisOf(input, kept.length),
      deps.log
    )
    await keepResultAsync(context, id, input, result, kept, cost, started)
  } catch (error) {
    // Canceled or stopped: that path already recorded the job.
    if (!controller.signal.aborted || deadline.aborted) await recordFailureAsync(context, id, input, error, deadline.aborted, started)
  } finally {
    context.controllers.delete(id)
    // A canceled job whose host run ended without a result: nothing is coming any more. If the
    // relay itself stopped following it (shutdown, retention), the host still runs and bills it:
    // the reservation is charged, as recovery does after a crash.
    const stoppedFollowing = controller.signal.aborted && !deadline.aborted && cost === undefined
    const ended = await changes
      .patchEndedAsync(id, { hostRunning: false })
      .catch((error: unknown) => void deps.log('job.not_saved', { error: describeError(error) }))
    if (ended !== undefined && stoppedFollowing) cost = { costUsd: job.reservedUsd, costEstimated: true, hostBilled: true }
    await settleRunAsync(deps, job, cost)
    hold.release()
  }
}
