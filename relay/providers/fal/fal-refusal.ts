import type { AppError } from '../../../shared/errors'
import { retryAfterMsOf, type SubmitOutcome } from '../shared/submit-with-retries-async'

/**
 * A 429 or a 503 from fal (queue or storage) as the refusal it is: fal took nothing, so the step
 * may be sent again after Retry-After; undefined for any other status.
 */
export function falRefusal(response: Response, error: AppError, now: number): Extract<SubmitOutcome<never>, { kind: 'refused' }> | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined
  return { kind: 'refused', error, retryAfterMs: retryAfterMsOf(response, now) }
}
