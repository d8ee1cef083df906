import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../../shared/errors'
import type { RunwareErrorItem } from './runware-answers'

/** Runware's safety codes (Runware/runware-typescript `src/errors.ts`; docs/hosts.md, "Runware"). */
const SAFETY_CODES = new Set([
  'contentPolicyViolation',
  'providerContentPolicyViolation',
  'sensitiveContentDetected',
  'unsafeContentDetected',
  'nsfwContentDetected',
  'promptBlocked',
  'imageBlocked',
  'moderationFailed'
])

/** First match wins. Groups follow Runware/runware-typescript `src/errors.ts`'s classification of Runware's codes. */
const ERROR_RULES: ReadonlyArray<{ match: (code: string, status: number) => boolean; relay: RelayErrorCode; message?: string }> = [
  { match: (code) => SAFETY_CODES.has(code), relay: 'moderated' },
  { match: (code, status) => status === 402 || /Credits|Quota|Balance|paymentRequired/i.test(code), relay: 'insufficient_credit' },
  {
    match: (code, status) => status === 401 || status === 403 || /ApiKey/.test(code),
    relay: 'provider_not_configured',
    message: 'Runware refused the relay’s API key. Ask whoever runs the relay to check RUNWARE_API_KEY.'
  },
  { match: (code, status) => status === 429 || /RateLimit/.test(code), relay: 'rate_limited' },
  { match: (code, status) => status === 504 || /Timeout/.test(code), relay: 'timeout' },
  {
    match: (code, status) => status >= 500 || /^provider|inferenceError|taskFailed|noAvailableServer/.test(code),
    relay: 'provider_unavailable'
  },
  { match: () => true, relay: 'provider_error' }
]

/** A Runware answer (its HTTP status and first error item) as a relay error; Runware's text goes in `detail`, for the log only. */
export function runwareError(status: number, error: RunwareErrorItem | undefined): AppError {
  const code = error?.code ?? `http_${status}`
  const rule = ERROR_RULES.find((candidate) => candidate.match(code, status))!
  return new AppError(rule.relay, rule.message ?? ERROR_MESSAGES[rule.relay], {
    detail: `runware ${status} ${code}: ${error?.message ?? ''}`.trim()
  })
}
