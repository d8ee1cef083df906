import type { AppError } from '../../../shared/errors'
import type { ProviderDeps } from '../provider'
import { parseRetryAfterMs } from './parse-retry-after-ms'

/**
 * The submit retry policy every adapter follows (docs/hosts.md, "What every host shares"). No host here documents an
 * idempotency key, so a submit that may have been accepted is paid for: it is sent again only when
 * the host cannot have taken it, or when the host itself says it never did.
 */

const MAX_SUBMIT_ATTEMPTS = 3
const RETRY_BASE_MS = 1000
/** A host's Retry-After is honoured, but not beyond what an interactive edit can wait. */
const RETRY_AFTER_CAP_MS = 30_000

/** How one submit went, as only the adapter can tell from its host's answer. */
export type SubmitOutcome<T> =
  | { kind: 'accepted'; value: T }
  /** The host cannot have taken the job (429, a 503 refusal, a connection that never opened). */
  | { kind: 'refused'; error: AppError; retryAfterMs?: number | undefined }
  /**
   * The host may have taken it (another 5xx, a reset after sending, a garbled 2xx). `retryAfterMs`
   * applies should `recoverAsync` find that the host never took it.
   */
  | { kind: 'ambiguous'; error: AppError; retryAfterMs?: number | undefined }
  /** Sending it again cannot help (400, 401, 402, 403, 422, …). */
  | { kind: 'final'; error: AppError }

/** What the host says about a job after an ambiguous submit. */
export type Recovery<T> =
  | { kind: 'found'; value: T }
  /** It never took the job: a resubmit cannot bill twice. */
  | { kind: 'absent' }
  /** It cannot tell: the submit fails rather than risk a second bill. */
  | { kind: 'unknown' }

export interface SubmitSteps<T> {
  /** One submit. May throw: that ends the submit as a final outcome does. */
  attemptAsync(attempt: number): Promise<SubmitOutcome<T>>
  /** Only for hosts that let the client name the job and then look it up (Runware, ComfyUI). */
  recoverAsync?(attempt: number): Promise<Recovery<T>>
  /** Called before each back-off, for the operator's log. */
  onRetry?(retry: { attempt: number; waitMs: number; error: AppError }): void
}

/** Retry-After as the policy honours it, capped. */
export function retryAfterMsOf(response: Response, now: number): number | undefined {
  return parseRetryAfterMs(response.headers.get('retry-after'), now, RETRY_AFTER_CAP_MS)
}

/** Runs `steps.attemptAsync` until the host accepts, at most three times, backing off 1 s then 2 s. */
/**
 * A 429 or a 503 as the refusal it is on every host: the host took nothing, so the step may be sent
 * again after Retry-After; undefined for any other status, which the adapter classes itself.
 */
export function refusalOf(
  response: Response,
  error: AppError,
  now: number
): Extract<SubmitOutcome<never>, { kind: 'refused' }> | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined
  return { kind: 'refused', error, retryAfterMs: retryAfterMsOf(response, now) }
}

export async function submitWithRetriesAsync<T>(
  deps: Pick<ProviderDeps, 'sleepAsync'>,
  signal: AbortSignal,
  steps: SubmitSteps<T>
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await steps.attemptAsync(attempt)
    if (outcome.kind === 'accepted') return outcome.value
    if (outcome.kind === 'final') throw outcome.error
    if (outcome.kind === 'ambiguous') {
      // Asked even on the last attempt: a job the host has must be followed, not failed.
      const recovery: Recovery<T> = steps.recoverAsync === undefined ? { kind: 'unknown' } : await steps.recoverAsync(attempt)
      if (recovery.kind === 'found') return recovery.value
      if (recovery.kind === 'unknown') throw outcome.error
    }
    if (attempt >= MAX_SUBMIT_ATTEMPTS) throw outcome.error
    const waitMs = outcome.retryAfterMs ?? RETRY_BASE_MS * 2 ** (attempt - 1)
    steps.onRetry?.({ attempt, waitMs, error: outcome.error })
    await deps.sleepAsync(waitMs, signal)
  }
}
