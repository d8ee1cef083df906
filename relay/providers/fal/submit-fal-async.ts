import { AppError } from '../../../shared/errors'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { refusalOf, submitWithRetriesAsync, type SubmitOutcome } from '../shared/submit-with-retries-async'
import { FalSubmitted } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER, falError } from './fal-error'

/**
 * `POST {FAL_QUEUE_URL}/{endpoint}` (fal-js `libs/client/src/queue.ts`). fal documents no
 * idempotency key, so a submit is sent again only when fal cannot have queued it: a 429, a 503
 * refusal, or a connection that never opened.
 */
export async function submitFalAsync(
  connection: FalConnection,
  endpoint: string,
  body: Record<string, unknown>,
  signal: AbortSignal
): Promise<FalSubmitted> {
  const { deps } = connection
  const url = `${connection.queueUrl}/${endpoint.split('/').map(encodeURIComponent).join('/')}`
  const json = JSON.stringify(body)
  return submitWithRetriesAsync<FalSubmitted>(deps, signal, {
    attemptAsync: async (attempt) => {
      deps.log('provider.submit', { provider: FAL_PROVIDER, endpoint, attempt, numImages: body.num_images })
      return submitOnceAsync(connection, url, json, signal)
    },
    onRetry: ({ attempt, waitMs, error }) =>
      deps.log('provider.retry', { provider: FAL_PROVIDER, endpoint, attempt, waitMs, detail: error.detail })
  })
}

async function submitOnceAsync(
  connection: FalConnection,
  url: string,
  json: string,
  signal: AbortSignal
): Promise<SubmitOutcome<FalSubmitted>> {
  const { deps } = connection
  const answer = await hostFetchAsync(deps.fetch, url, { method: 'POST', headers: connection.headers(true), body: json }, signal)
  if (answer.kind === 'network') {
    // The request may have reached fal and been queued: sending it again could bill twice.
    return {
      kind: answer.reachedHost ? 'ambiguous' : 'refused',
      error: new AppError('provider_unavailable', undefined, { detail: `fal submit: ${answer.detail}`, cause: answer.error })
    }
  }
  const { response } = answer
  const read = await readTextAsync(response, signal)
  if (response.ok) {
    if (!read.ok)
      return {
        kind: 'ambiguous',
        error: new AppError('provider_unavailable', undefined, {
          detail: `fal submit answered ${response.status}, ${read.detail}`,
          cause: read.error
        })
      }
    const parsed = FalSubmitted.safeParse(parseJson(read.text))
    if (!parsed.success) {
      return {
        kind: 'ambiguous',
        error: new AppError('provider_error', undefined, {
          detail: `fal submit answered ${response.status} with a body that is not the documented JSON`,
          cause: parsed.error
        })
      }
    }
    return { kind: 'accepted', value: parsed.data }
  }
  const error = falError(response, read.ok ? read.text : '', 'submit', deps.now())
  // 429 and 503 are refusals: fal queued nothing. Any other 5xx may have been raised after queueing.
  return refusalOf(response, error, deps.now()) ?? { kind: response.status >= 500 ? 'ambiguous' : 'final', error }
}
