export type AccountRole = 'user' | 'operator'

/** Who a token belongs to and what it may spend. One per token; `owner` is unique. */
export interface Account {
  /** The bearer token itself: compared timing-safely, never stored, logged or answered. */
  token: string
  /** The name the ledger and `GET /v1/usage` use for this token. */
  owner: string
  /** USD a UTC day; null for no budget. */
  dailyBudgetUsd: number | null
  /** Edits (POST /v1/edits) a minute, as a token bucket of that size refilled over a minute. */
  requestsPerMinute: number
  /** An operator sees every owner in `GET /v1/usage`. */
  role: AccountRole
  /** Edits the owner may have running at once (from upload until the host job ends). */
  maxRunningEdits: number
}
