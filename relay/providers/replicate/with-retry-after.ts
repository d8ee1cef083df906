import { AppError } from '../../../shared/errors'

/**
 * A 429's error carrying the host's Retry-After, rounded up to seconds, so the relay can tell the
 * client when to come back; the error itself otherwise.
 */
export function withRetryAfter(error: AppError, retryAfterMs: number | undefined): AppError {
  if (retryAfterMs === undefined) return error
  return new AppError(error.code, error.message, {
    detail: error.detail,
    retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
    cause: error.cause
  })
}
