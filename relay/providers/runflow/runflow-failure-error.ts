import { AppError, type RelayErrorCode } from '../../../shared/errors'
import type { Run } from './runflow-answers'

/**
 * Failed runs (`error.code` / `error.message`, or the older `failure_code` / `failure_message`),
 * first match wins. Runflow lists no moderation code; fal's is `content_policy_violation`, so
 * content/NSFW/safety wording counts.
 */
const FAILURE_RULES: ReadonlyArray<{ match: RegExp; code: RelayErrorCode }> = [
  {
    match: /CONTENT_?POLICY|CONTENT_?(MODERAT|FILTER|FLAG|BLOCK|VIOLATION)|MODERAT|NSFW|SAFETY|content polic|content checker/i,
    code: 'moderated'
  },
  { match: /INSUFFICIENT_CREDIT|BALANCE|QUOTA/i, code: 'insufficient_credit' },
  { match: /RATE_LIMIT/i, code: 'rate_limited' },
  { match: /TIME_?OUT|TIMED_OUT|DEADLINE/i, code: 'timeout' },
  { match: /UNAVAILABLE|OUTAGE|CAPACITY|OVERLOAD/i, code: 'provider_unavailable' }
]

/** The failure in either form: the SDK's `error` (types.ts) first, then the docs' older `failure_*` fields. */
export function runflowFailureOf(run: Run): { code: string | undefined; message: string | undefined } {
  return { code: run.error?.code ?? run.failure_code ?? undefined, message: run.error?.message ?? run.failure_message ?? undefined }
}

/** A failed run as a relay error; the host's text goes only into `detail`. */
export function runflowFailureError(run: Run): AppError {
  const failure = runflowFailureOf(run)
  const code = FAILURE_RULES.find((rule) => rule.match.test(`${failure.code ?? ''} ${failure.message ?? ''}`))?.code ?? 'provider_error'
  return new AppError(code, undefined, {
    detail: `runflow run ${run.id} failed: ${failure.code ?? '(no error code)'}: ${(failure.message ?? '').slice(0, 300)}`
  })
}
