import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { parseJson } from '../shared/parse-json'
import { ErrorEnvelope } from './runflow-answers'

/** Error envelopes by `code` first, then by status (docs.runflow.io/concepts/errors). */
const CODE_RULES: Readonly<Record<string, RelayErrorCode>> = {
  UNAUTHORIZED: 'provider_not_configured',
  PERMISSION_DENIED: 'provider_not_configured',
  EMAIL_NOT_VERIFIED: 'provider_not_configured',
  INSUFFICIENT_CREDIT: 'insufficient_credit',
  RATE_LIMITED: 'rate_limited',
  MODEL_UNAVAILABLE: 'provider_unavailable'
}

/** A non-2xx answer of the API as a relay error; the host's text goes only into `detail`. */
export function runflowEnvelopeError(status: number, text: string, retryAfterMs: number | undefined): AppError {
  const json = parseJson(text)
  const envelope = ErrorEnvelope.safeParse(json)
  const hostCode = envelope.success ? (envelope.data.code ?? envelope.data.error?.code) : undefined
  const hostMessage = envelope.success ? (envelope.data.message ?? envelope.data.error?.message) : undefined
  const code = (hostCode !== undefined ? CODE_RULES[hostCode] : undefined) ?? codeForStatus(status)
  const fieldErrors = envelope.success && envelope.data.errors ? ` errors: ${JSON.stringify(envelope.data.errors).slice(0, 300)}` : ''
  const described = hostCode !== undefined ? `${hostCode}: ${(hostMessage ?? '').slice(0, 300)}` : describeHostBody(json, text)
  const error = hostError('Runflow', status, code, `${described}${fieldErrors}`)
  if (code === 'rate_limited' && retryAfterMs !== undefined) {
    return new AppError(code, error.message, { detail: error.detail, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) })
  }
  return error
}
