import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../../shared/errors'

/**
 * The HTTP statuses every host shares, as relay codes (docs/hosts.md, "What every host shares"). An adapter checks its
 * host's own codes first (moderation, quota names) and falls back to this table.
 */
const BY_STATUS: ReadonlyArray<{ match: (status: number) => boolean; code: RelayErrorCode }> = [
  { match: (status) => status === 401 || status === 403, code: 'provider_not_configured' },
  { match: (status) => status === 402, code: 'insufficient_credit' },
  { match: (status) => status === 429, code: 'rate_limited' },
  { match: (status) => status === 408 || status === 504, code: 'timeout' },
  { match: (status) => status >= 500, code: 'provider_unavailable' },
  { match: () => true, code: 'provider_error' }
]

export function codeForStatus(status: number): RelayErrorCode {
  return BY_STATUS.find((rule) => rule.match(status))!.code
}

/** A short text of a host's error body for the operator's log (never for the client). */
export function describeHostBody(body: unknown, text: string): string {
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>
    for (const key of ['detail', 'error', 'message', 'failure_message', 'code', 'title']) {
      const value = record[key]
      if (value !== undefined && value !== null) return `${key}: ${JSON.stringify(value).slice(0, 300)}`
    }
  }
  return text.slice(0, 300)
}

export function hostError(provider: string, status: number, code: RelayErrorCode, detail: string): AppError {
  const message =
    code === 'provider_not_configured'
      ? `${provider} refused the relay’s API key. Ask whoever runs the relay to check it.`
      : ERROR_MESSAGES[code]
  return new AppError(code, message, { detail: `${provider} ${status}: ${detail}` })
}
