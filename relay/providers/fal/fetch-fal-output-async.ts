import { AppError } from '../../../shared/errors'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { FalOutput, type FalSubmitted } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER, falError, FalErrorBody, failureTypes } from './fal-error'

/** Result GETs are free to repeat; a few tries ride out a blip without hiding a job's own error. */
const MAX_RESULT_ATTEMPTS = 3
const RESULT_RETRY_MS = 250

/** One GET of `response_url`: the output, 'pending', or a failure that may (`blip`) be tried again. */
type ResultAnswer = FalOutput | 'pending' | { failure: AppError; blip: boolean }

/**
 * GETs `response_url`: the output, or the job's own error. fal's quirk: a failed request also ends
 * COMPLETED; its error (422 `detail[]`, or an infrastructure `error_type`) shows only here.
 */
export async function fetchFalOutputAsync(
  connection: FalConnection,
  job: FalSubmitted,
  signal: AbortSignal
): Promise<FalOutput | 'pending'> {
  const { deps } = connection
  const responseUrl = connection.checkedUrl(job.response_url, 'response_url')
  for (let attempt = 1; ; attempt += 1) {
    const answer = await getResultAsync(connection, responseUrl, signal)
    if (answer === 'pending' || !('failure' in answer)) return answer
    if (!answer.blip || attempt >= MAX_RESULT_ATTEMPTS) throw answer.failure
    deps.log('provider.result_retry', { provider: FAL_PROVIDER, requestId: job.request_id, attempt, detail: answer.failure.detail })
    await deps.sleepAsync(RESULT_RETRY_MS * attempt, signal)
  }
}

async function getResultAsync(connection: FalConnection, responseUrl: string, signal: AbortSignal): Promise<ResultAnswer> {
  const answer = await hostFetchAsync(connection.deps.fetch, responseUrl, { headers: connection.headers(false) }, signal)
  if (answer.kind === 'network')
    return {
      failure: new AppError('provider_unavailable', undefined, { detail: `fal result: ${answer.detail}`, cause: answer.error }),
      blip: true
    }
  const { response } = answer
  const read = await readTextAsync(response, signal)
  if (!read.ok)
    return {
      failure: new AppError('provider_unavailable', undefined, {
        detail: `fal result ${response.status}: ${read.detail}`,
        cause: read.error
      }),
      blip: true
    }
  if (response.ok) {
    const parsed = FalOutput.safeParse(parseJson(read.text))
    if (parsed.success) return parsed.data
    return {
      failure: new AppError('provider_error', undefined, {
        detail: `fal result answered ${response.status} with a body that is not the documented JSON`,
        cause: parsed.error
      }),
      blip: true
    }
  }
  const body = parseJson(read.text)
  const detail = FalErrorBody.safeParse(body).data?.detail
  if (response.status === 400 && typeof detail === 'string' && /in progress/i.test(detail)) return 'pending'
  const failure = falError(response, read.text, 'result', connection.deps.now())
  // A 429, or a gateway 502/503 without fal's own `detail[]`, is the way there, not the job's own error.
  const blip = response.status === 429 || ((response.status === 502 || response.status === 503) && failureTypes(body).length === 0)
  return { failure, blip }
}
