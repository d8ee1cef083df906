import { AppError } from '../../../shared/errors'
import type { ProviderEditInput, ProviderProgress } from '../provider'
import type { VariantCall, VariantCallResult } from '../shared/run-variants-async'
import { buildRunflowInput } from './build-runflow-input'
import { CANCELED, FAILED, RUNNING, Run, parseCostUsd } from './runflow-answers'
import type { RunflowApi } from './runflow-api'
import { runflowFailureError, runflowFailureOf } from './runflow-failure-error'
import { downloadRunflowImagesAsync } from './download-runflow-images-async'
import { followRunflowRunAsync } from './follow-runflow-run-async'

/** What one call is sent: the model path and the references as the run input names them. */
export interface RunflowCallTarget {
  modelPath: string
  images: readonly string[]
}

/** The call's progress: `running` once Runflow says so, `queued` before (and for statuses it does not document). */
function progressReporter(call: VariantCall): (status: string) => void {
  let reported: ProviderProgress['status'] | undefined
  return (status) => {
    const next = RUNNING.has(status) ? 'running' : 'queued'
    if (next === reported) return
    reported = next
    call.onProgress({ status: next })
  }
}

/**
 * One run of `call.count` images (`POST /v1/models/{model_id}/runs` with `{input}`, SDK client.ts),
 * followed to its end and downloaded. A create is sent again only when Runflow cannot have taken it
 * (a 429, a 503, a connection that never opened): nothing documents idempotency.
 */
export async function runRunflowCallAsync(
  api: RunflowApi,
  input: ProviderEditInput,
  target: RunflowCallTarget,
  call: VariantCall
): Promise<VariantCallResult> {
  const onStatus = progressReporter(call)
  onStatus('queued')
  const body = { input: buildRunflowInput(input, target.images, call.count, call.seed) }
  const answer = await api.createAsync(`/v1/models/${target.modelPath}/runs`, body, input.signal, 'provider.submit', {
    model: input.model,
    numImages: call.count
  })
  const created = Run.safeParse(answer)
  // Accepted (2xx) but unreadable: it may run and bill, so it is never sent again.
  if (!created.success)
    throw new AppError('provider_error', undefined, {
      detail: 'runflow accepted the run with a body that is not a run record',
      cause: created.error
    })
  api.deps.log('provider.submitted', { provider: 'runflow', runId: created.data.id, status: created.data.status_code.slice(0, 40) })
  const run = await followRunflowRunAsync(api, created.data, input.signal, onStatus)
  api.deps.log('provider.finished', {
    provider: 'runflow',
    runId: run.id,
    status: run.status_code,
    failureCode: runflowFailureOf(run).code
  })
  if (FAILED.has(run.status_code)) throw runflowFailureError(run)
  if (CANCELED.has(run.status_code)) throw new AppError('canceled', undefined, { detail: `runflow run ${run.id} was canceled at the host` })
  // `cost` bills what the run delivered, `partial_succeeded` included (docs.runflow.io/concepts/runs).
  return { images: await downloadRunflowImagesAsync(api, run, call.seed, input.signal), costUsd: parseCostUsd(run.cost), hostJobId: run.id }
}
