import { AppError, ERROR_MESSAGES, type ErrorCode, type ErrorInfo } from './errors'

/** What the panel shows for any error: an AppError's own code and message, else `fallback`'s. */
export function toErrorInfo(error: unknown, fallback: ErrorCode = 'internal'): ErrorInfo {
  if (error instanceof AppError) return error.toInfo()
  return { code: fallback, message: ERROR_MESSAGES[fallback] }
}
