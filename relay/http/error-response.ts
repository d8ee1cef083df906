import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../shared/errors'
import { errorChainText } from '../../shared/error-chain-text'
import type { ErrorBody } from '../../shared/relay-api'

export const HTTP_STATUS: Record<RelayErrorCode, ContentfulStatusCode> = {
  unauthorized: 401,
  invalid_request: 400,
  invalid_image: 400,
  payload_too_large: 413,
  not_found: 404,
  provider_not_configured: 503,
  insufficient_credit: 402,
  rate_limited: 429,
  moderated: 422,
  provider_unavailable: 502,
  provider_error: 502,
  timeout: 504,
  canceled: 409,
  internal: 500,
  budget_exceeded: 402,
  interrupted: 503,
  relay_busy: 503
}

const CODE_BY_STATUS: Record<number, RelayErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  408: 'timeout',
  413: 'payload_too_large',
  415: 'invalid_request',
  429: 'rate_limited',
  504: 'timeout'
}

function isRelayCode(code: string): code is RelayErrorCode {
  return code in HTTP_STATUS
}

export function errorBody(code: RelayErrorCode, message: string = ERROR_MESSAGES[code]): ErrorBody {
  return { error: { code, message } }
}

/**
 * The one place where any thrown error becomes the JSON envelope. Hosts' texts stay in the log.
 */
export function errorResponse(error: unknown, c: Context, log: (event: string, fields: Record<string, unknown>) => void): Response {
  if (error instanceof AppError && isRelayCode(error.code)) {
    if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds))
    return c.json(errorBody(error.code, error.message), HTTP_STATUS[error.code])
  }
  if (error instanceof HTTPException) {
    const code = CODE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'internal' : 'invalid_request')
    const message = code === 'invalid_request' && error.message !== '' ? error.message : ERROR_MESSAGES[code]
    return c.json(errorBody(code, message), HTTP_STATUS[code])
  }
  log('http.unhandled', {
    error: error instanceof Error ? errorChainText(error) : String(error),
    stack: error instanceof Error ? error.stack : undefined
  })
  return c.json(errorBody('internal'), 500)
}
