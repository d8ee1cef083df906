import { AppError } from '../../../shared/errors'
import type { HostConfig } from '../../config'
import type { ProviderDeps } from '../provider'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'
import { runflowEnvelopeError } from './runflow-envelope-error'

/** How one API call went; `status` 0: no HTTP answer. `retry`: Runflow cannot have acted on it. */
export type RunflowApiOutcome =
  { ok: true; json: unknown; status: number } | { ok: false; status: number; error: AppError; retry: boolean; waitMs: number | undefined }

/** Runflow's JSON API (`Authorization: Bearer`, SDK client.ts) for one host config. */
export interface RunflowApi {
  readonly baseUrl: string
  readonly deps: ProviderDeps
  /** One call, never sent again. */
  callAsync(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<RunflowApiOutcome>
  /** A POST that creates something, sent again only after a refusal; its 2xx body. */
  createAsync(path: string, body: unknown, signal: AbortSignal, event: string, fields: Record<string, unknown>): Promise<unknown>
}

function failed(status: number, error: AppError, retry = false, waitMs?: number): RunflowApiOutcome {
  return { ok: false, status, error, retry, waitMs }
}

export function createRunflowApi(host: HostConfig, deps: ProviderDeps): RunflowApi {
  const baseUrl = host.url

  async function callAsync(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<RunflowApiOutcome> {
    const headers: Record<string, string> = { authorization: `Bearer ${host.key ?? ''}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const init: RequestInit = body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) }
    const answer = await hostFetchAsync(deps.fetch, `${baseUrl}${path}`, init, signal)
    if (answer.kind === 'network') {
      // Only the route's first segments: a run or asset id says nothing to the operator.
      const route = path.split('/').slice(0, 3).join('/')
      return failed(
        0,
        new AppError('provider_unavailable', undefined, { detail: `runflow ${method} ${route}: ${answer.detail}`, cause: answer.error }),
        !answer.reachedHost
      )
    }
    const { response } = answer
    const text = await readTextAsync(response, signal)
    // Cut off mid-answer: the host may have acted on the request.
    if (!text.ok)
      return failed(
        response.status,
        new AppError('provider_unavailable', undefined, { detail: `runflow ${response.status}: ${text.detail}`, cause: text.error })
      )
    if (response.ok) {
      const json = parseJson(text.text)
      if (json === undefined)
        return failed(
          response.status,
          new AppError('provider_error', undefined, { detail: `runflow answered ${response.status} with a body that is not JSON` })
        )
      return { ok: true, json, status: response.status }
    }
    const waitMs = retryAfterMsOf(response, deps.now())
    return failed(
      response.status,
      runflowEnvelopeError(response.status, text.text, waitMs),
      response.status === 429 || response.status === 503,
      waitMs
    )
  }

  async function createAsync(
    path: string,
    body: unknown,
    signal: AbortSignal,
    event: string,
    fields: Record<string, unknown>
  ): Promise<unknown> {
    return submitWithRetriesAsync<unknown>(deps, signal, {
      attemptAsync: async (attempt) => {
        deps.log(event, { provider: 'runflow', ...fields, attempt })
        const outcome = await callAsync('POST', path, body, signal)
        if (outcome.ok) return { kind: 'accepted', value: outcome.json }
        deps.log('provider.refused', {
          provider: 'runflow',
          ...fields,
          attempt,
          code: outcome.error.code,
          retry: outcome.retry,
          detail: outcome.error.detail
        })
        // Runflow cannot be asked whether it took a create, so one that may have reached it is never sent again.
        return outcome.retry
          ? { kind: 'refused', error: outcome.error, retryAfterMs: outcome.waitMs }
          : { kind: 'final', error: outcome.error }
      }
    })
  }

  return { baseUrl, deps, callAsync, createAsync }
}
