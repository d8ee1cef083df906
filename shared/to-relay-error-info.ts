import { AppError, ERROR_MESSAGES, RelayErrorCode, type RelayErrorInfo } from './errors'

/** For the relay's answers: a code outside the relay's set (a bug) becomes `internal`. */
export function toRelayErrorInfo(error: unknown): RelayErrorInfo {
  if (error instanceof AppError) {
    const code = RelayErrorCode.safeParse(error.code)
    if (code.success) return { code: code.data, message: error.message }
  }
  return { code: 'internal', message: ERROR_MESSAGES.internal }
}
