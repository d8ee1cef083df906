import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { PROVIDERS } from '../../../shared/models'
import type { HostConfig } from '../../config'
import type { ProviderDeps } from '../provider'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'

/** The provider id, in logs, error details and the variant engine. */
export const BFL_PROVIDER = 'bfl'

/** What every BFL call needs, fixed once per relay from the host's settings. */
export interface BflContext {
  deps: ProviderDeps
  key: string
  /** BFL_API_URL without a trailing slash: where submits go, and the origin the key rules start from. */
  baseUrl: string
  /** Host text for the operator's log, with the key scrubbed should a host ever echo it. */
  redact(text: string): string
  /** An error of this adapter's own, its detail prefixed and redacted; `cause` kept whole. */
  fail(code: RelayErrorCode, detail: string, cause?: unknown): AppError
  /** A host answer's HTTP status as a relay error, BFL's body text redacted into the detail. */
  statusError(status: number, body: unknown, text: string, what: string): AppError
}

export function createBflContext(host: HostConfig, deps: ProviderDeps): BflContext {
  const key = host.key ?? ''
  const redact = (text: string): string => (key.length >= 4 ? text.split(key).join('[key]') : text)
  return {
    deps,
    key,
    baseUrl: host.url.replace(/\/+$/, ''),
    redact,
    fail: (code, detail, cause) => new AppError(code, undefined, { detail: redact(`${BFL_PROVIDER}: ${detail}`), cause }),
    statusError(status, body, text, what) {
      const error = hostError(PROVIDERS.bfl.name, status, codeForStatus(status), `${what}: ${describeHostBody(body, text)}`)
      return new AppError(error.code, error.message, { detail: redact(error.detail ?? '') })
    }
  }
}
