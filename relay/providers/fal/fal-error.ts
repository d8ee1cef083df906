import * as z from 'zod'
import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { parseJson } from '../shared/parse-json'
import { retryAfterMsOf } from '../shared/submit-with-retries-async'

/**
 * fal's error answers as relay codes, for the queue and for fal's storage API (docs/hosts.md,
 * "fal"; fal-ai/fal-js `libs/client/src/response.ts`, which reads both shapes below).
 */

export const FAL_PROVIDER = 'fal'

/** The `detail[].type` values that mean fal's content checker refused the edit. */
const MODERATION_TYPES = new Set(['content_policy_violation'])
/**
 * The status for an empty balance is not documented. 402 is mapped by status; fal's own lock
 * answers 403 `{"detail":"User is locked. Reason: Exhausted balance. Top up your balance …"}`
 * (seen in fal-ai/fal issues #1112, #1147), so a 403 whose text names the balance is credit too.
 */
const BALANCE_TEXT = /balance|credit|top[ _-]?up|billing|payment|funds/i

/** Model errors carry `detail[]`; infrastructure errors a string `detail` and `error_type`. */
export const FalErrorBody = z.object({
  detail: z.union([z.string(), z.array(z.object({ type: z.string().optional() }).loose())]).optional(),
  error_type: z.string().optional()
})

export function failureTypes(body: unknown): string[] {
  const parsed = FalErrorBody.safeParse(body)
  if (!parsed.success || !Array.isArray(parsed.data.detail)) return []
  return parsed.data.detail.map((item) => item.type).filter((type): type is string => type !== undefined)
}

/** fal's own signals first (moderation, balance), then the status table every host shares. */
const ERROR_RULES: ReadonlyArray<{
  match: (status: number, types: string[], text: string) => boolean
  code: (status: number) => RelayErrorCode
}> = [
  { match: (_status, types) => types.some((type) => MODERATION_TYPES.has(type)), code: () => 'moderated' },
  { match: (status, _types, text) => status === 402 || (status === 403 && BALANCE_TEXT.test(text)), code: () => 'insufficient_credit' },
  { match: () => true, code: codeForStatus }
]

/** One of fal's error answers (`where`: the call, for the log) as an AppError; 429 keeps its Retry-After. */
export function falError(response: Response, text: string, where: string, now: number): AppError {
  const body = parseJson(text)
  const types = failureTypes(body)
  const errorType = response.headers.get('x-fal-error-type') ?? FalErrorBody.safeParse(body).data?.error_type
  const described = describeHostBody(body, text)
  const rule = ERROR_RULES.find((candidate) => candidate.match(response.status, types, described))!
  const code = rule.code(response.status)
  const error = hostError(FAL_PROVIDER, response.status, code, `${where}${errorType === undefined ? '' : ` ${errorType}`}: ${described}`)
  if (code !== 'rate_limited') return error
  const retryAfterMs = retryAfterMsOf(response, now)
  return retryAfterMs === undefined
    ? error
    : new AppError(code, error.message, { detail: error.detail, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) })
}
