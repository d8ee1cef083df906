import { ownerOfAsync } from './owner-of'
import { DEFAULT_MAX_RUNNING_EDITS } from '../jobs/edit-capacity'

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

/** Tokens from RELAY_TOKENS: no budget, and this many edits a minute. */
export const DEFAULT_REQUESTS_PER_MINUTE = 30

/** The owner names RELAY_TOKENS tokens get; the tokens file may not use one (see tokens-file.ts). */
export const PLAIN_TOKEN_OWNER_PATTERN = /^token-[0-9a-f]{12}$/i

/** The owner name of a token from RELAY_TOKENS: a digest, so the ledger never holds the token. */
export async function plainTokenOwnerAsync(token: string): Promise<string> {
  return `token-${(await ownerOfAsync(token)).slice(0, 12)}`
}

/**
 * The accounts of a relay: the tokens file's, then one for each token of RELAY_TOKENS. Owners
 * must differ (case aside), since jobs, budgets and the ledger are per owner: two tokens with one
 * owner name would see each other's edits. Throws naming the owner, never a token.
 */
export async function resolveAccountsAsync(fileAccounts: readonly Account[], plainTokens: readonly string[]): Promise<Account[]> {
  const plain = await Promise.all(
    // The same token twice is one account.
    [...new Set(plainTokens)].map(
      async (token): Promise<Account> => ({
        token,
        owner: await plainTokenOwnerAsync(token),
        dailyBudgetUsd: null,
        requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
        role: 'user',
        maxRunningEdits: DEFAULT_MAX_RUNNING_EDITS
      })
    )
  )
  const accounts = [...fileAccounts, ...plain]
  const seen = new Set<string>()
  for (const account of accounts) {
    const key = account.owner.toLowerCase()
    if (seen.has(key)) throw new Error(`Two access tokens have the owner name "${account.owner}". Each owner needs its own name: rename it in the tokens file.`)
    seen.add(key)
  }
  return accounts
}
