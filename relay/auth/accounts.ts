import { ownerOfAsync } from '../http/owner-of'

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
}

/** Tokens from RELAY_TOKENS: no budget, and this many edits a minute. */
export const DEFAULT_REQUESTS_PER_MINUTE = 30

/** The owner name of a token from RELAY_TOKENS: a digest, so the ledger never holds the token. */
export async function plainTokenOwnerAsync(token: string): Promise<string> {
  return `token-${(await ownerOfAsync(token)).slice(0, 12)}`
}

/** The accounts of a relay: the tokens file's, then one for each token of RELAY_TOKENS. */
export async function resolveAccountsAsync(fileAccounts: readonly Account[], plainTokens: readonly string[]): Promise<Account[]> {
  const plain = await Promise.all(
    plainTokens.map(
      async (token): Promise<Account> => ({
        token,
        owner: await plainTokenOwnerAsync(token),
        dailyBudgetUsd: null,
        requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
        role: 'user'
      })
    )
  )
  return [...fileAccounts, ...plain]
}
