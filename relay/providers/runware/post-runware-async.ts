import { AppError } from '../../../shared/errors'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { retryAfterMsOf } from '../shared/submit-with-retries-async'
import { RunwareEnvelope } from './runware-answers'
import type { RunwareContext } from './runware-context'
import { runwareError } from './runware-error'

/**
 * Runware's answer to a taskUUID it already has. The code is what Runware/sdk-python
 * `runware/base.py` matches; no status is documented, so any status carrying it counts.
 */
const CONFLICT_CODE = 'conflictTaskUUID'

/**
 * How one POST went. `refused`: Runware cannot have accepted it; `uncertain`: it may have;
 * `conflict`: Runware has a task with this UUID (ours: the relay makes a fresh UUID per task);
 * `unreached`: the connection never opened.
 */
export type RunwareAnswer =
  | { kind: 'ok'; envelope: RunwareEnvelope }
  | { kind: 'conflict'; error: AppError }
  | { kind: 'refused'; error: AppError; retryAfterMs: number | undefined }
  | { kind: 'unreached'; error: AppError }
  | { kind: 'uncertain'; error: AppError; network: boolean; retryAfterMs?: number | undefined }

/** One POST of a task array. Throws (a relay AppError) only for a final answer; everything retryable is returned. */
export async function postRunwareAsync(
  context: RunwareContext,
  payload: string | Uint8Array<ArrayBuffer>,
  signal: AbortSignal
): Promise<RunwareAnswer> {
  const headers = { authorization: `Bearer ${context.apiKey}`, 'content-type': 'application/json', accept: 'application/json' }
  const answer = await hostFetchAsync(context.deps.fetch, context.apiUrl, { method: 'POST', headers, body: payload }, signal)
  if (answer.kind === 'network') {
    const error = new AppError('provider_unavailable', undefined, { detail: `runware ${answer.detail}`, cause: answer.error })
    return answer.reachedHost ? { kind: 'uncertain', error, network: true } : { kind: 'unreached', error }
  }
  const { response } = answer
  const body = await readTextAsync(response, signal)
  if (!body.ok) {
    return {
      kind: 'uncertain',
      network: false,
      error: new AppError('provider_unavailable', undefined, { detail: `runware ${response.status} ${body.detail}`, cause: body.error })
    }
  }
  return classifyAnswer(response, body.text, context.deps.now())
}

/** Sorts a read answer by what it says about the task: taken, refused, perhaps taken, or final (thrown). */
function classifyAnswer(response: Response, text: string, now: number): RunwareAnswer {
  const parsed = RunwareEnvelope.safeParse(parseJson(text))
  const envelope = parsed.success ? parsed.data : undefined
  const firstError = envelope?.errors?.[0]
  if (response.ok && envelope !== undefined && firstError === undefined) return { kind: 'ok', envelope }
  const conflict = envelope?.errors?.find((item) => item.code === CONFLICT_CODE)
  if (conflict !== undefined) return { kind: 'conflict', error: runwareError(response.status, conflict) }
  const retryAfterMs = retryAfterMsOf(response, now)
  if (response.status === 429 || response.status === 503 || /RateLimit/.test(firstError?.code ?? '')) {
    return { kind: 'refused', error: runwareError(response.status, firstError), retryAfterMs }
  }
  if (envelope === undefined && (response.ok || response.status >= 500)) {
    // A garbled 2xx, or a proxy's HTML error page: the task may have been taken.
    const code = response.ok ? ('provider_error' as const) : runwareError(response.status, undefined).code
    const detail = `runware answered ${response.status} with a body that is not the documented JSON`
    return { kind: 'uncertain', network: false, error: new AppError(code, undefined, { detail, cause: parsed.error }), retryAfterMs }
  }
  if (response.status >= 500 || /noAvailableServer/.test(firstError?.code ?? '')) {
    return { kind: 'uncertain', network: false, error: runwareError(response.status, firstError), retryAfterMs }
  }
  throw runwareError(response.status, firstError)
}
