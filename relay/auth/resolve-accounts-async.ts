import { DEFAULT_MAX_RUNNING_EDITS } from '../jobs/edit-capacity'
import type { Account } from './account'
import { plainTokenOwnerAsync } from './plain-token-owner-async'

/** Tokens from RELAY_TOKENS: no budget, and this many edits a minute. */
export const DEFAULT_REQUESTS_PER_MINUTE = 30

/**
 * The accounts of a relay: the tokens file's, then one for each token of RELAY_TOKENS. Owners
 * must differ (case aside), since jobs, budgets and the ledger are per owner: two tokens with one
 * owner name would see each other's edits. Throws naming the owner, never a token.
 */
export async function resolveAccountsAsync(fileAccounts: readonly Account[], plainTokens: readonly string[]): Promise<Account[]> {
  const plain = await Promise.all(
    // The same token twice is one account.
    [...new Set(plainTokens)].map(async (token): Promise<Account> => ({
      token,
      owner: await plainTokenOwnerAsync(token),
      dailyBudgetUsd: null,
      requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
      role: 'user',
      maxRunningEdits: DEFAULT_MAX_RUNNING_EDITS
    }))
  )
  const accounts = [...fileAccounts, ...plain]
  const seen = new Set<string>()
  for (const account of accounts) {
    const key = account.owner.toLowerCase()
    if (seen.has(key))
      throw new Error(
        `Two access tokens have the owner name "${account.owner}". Each owner needs its own name: rename it in the tokens file.`
      )
    seen.add(key)
  }
  return accounts
}
