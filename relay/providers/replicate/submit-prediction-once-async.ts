import { AppError } from '../../../shared/errors'
import { describeHostBody } from '../shared/host-error'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { retryAfterMsOf, type SubmitOutcome } from '../shared/submit-with-retries-async'
import type { ReplicateCall } from './build-replicate-call'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import { replicateErrorFor } from './replicate-error-for'
import { Prediction } from './replicate-prediction'
import { withRetryAfter } from './with-retry-after'

/**
 * One create, `POST {url}/v1/models/{owner}/{name}/predictions` with `Prefer: wait=N`, sorted by
 * whether Replicate can have created the prediction (it lets the client choose no id, so an
 * ambiguous one is never sent again): a 429, a 503 or a connection that never opened is a
 * refusal; any other 5xx, a reset after sending or a garbled 2xx may have created it.
 */
export async function submitPredictionOnceAsync(
  context: ReplicateContext,
  call: ReplicateCall,
  signal: AbortSignal
): Promise<SubmitOutcome<Prediction>> {
  const { deps } = context
  const url = `${context.apiUrl}/v1/models/${call.model}/predictions`
  const init: RequestInit = {
    method: 'POST',
    headers: { authorization: context.authorization, 'content-type': 'application/json', prefer: `wait=${context.waitSeconds}` },
    body: JSON.stringify(call.body)
  }
  const answer = await hostFetchAsync(deps.fetch, url, init, signal)
  if (answer.kind === 'network') {
    const error = new AppError('provider_unavailable', undefined, {
      detail: `${REPLICATE_PROVIDER} submit: ${answer.detail}`,
      cause: answer.error
    })
    return answer.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error }
  }
  const { response } = answer
  const retryAfterMs = retryAfterMsOf(response, deps.now())
  const refusedForNow = response.status === 429 || response.status === 503
  const read = await readTextAsync(response, signal)
  if (!read.ok) {
    if (refusedForNow) return { kind: 'refused', error: replicateErrorFor(response.status, read.detail), retryAfterMs }
    return {
      kind: 'ambiguous',
      error: new AppError('provider_unavailable', undefined, {
        detail: `${REPLICATE_PROVIDER} ${response.status}: ${read.detail}`,
        cause: read.error
      })
    }
  }
  const body = parseJson(read.text)
  if (response.ok) {
    const parsed = Prediction.safeParse(body)
    if (parsed.success) return { kind: 'accepted', value: parsed.data }
    const detail = `${REPLICATE_PROVIDER} ${response.status}: not a prediction: ${describeHostBody(body, read.text)}`
    return { kind: 'ambiguous', error: new AppError('provider_error', undefined, { detail, cause: parsed.error }) }
  }
  const error = replicateErrorFor(response.status, describeHostBody(body, read.text))
  if (response.status === 429) return { kind: 'refused', error: withRetryAfter(error, retryAfterMs), retryAfterMs }
  if (response.status === 503) return { kind: 'refused', error, retryAfterMs }
  // Any other 5xx may have been raised after the prediction was created.
  if (response.status >= 500) return { kind: 'ambiguous', error }
  return { kind: 'final', error }
}
