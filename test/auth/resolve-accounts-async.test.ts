import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { ownerOfAsync } from '../../relay/auth/owner-of-async'
import { PLAIN_TOKEN_OWNER_PATTERN, plainTokenOwnerAsync } from '../../relay/auth/plain-token-owner-async'
import { DEFAULT_REQUESTS_PER_MINUTE, resolveAccountsAsync } from '../../relay/auth/resolve-accounts-async'

const fileAccount = (owner: string, token = `${owner}-${'x'.repeat(20)}`): Account => ({
  token,
  owner,
  dailyBudgetUsd: 2,
  requestsPerMinute: 5,
  role: 'user',
  maxRunningEdits: 3
})

describe('owner names from tokens', () => {
  it('ownerOfAsync is the first 12 bytes of the token’s SHA-256, in hex', async () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(await ownerOfAsync('abc')).toBe('ba7816bf8f01cfea414140de')
    expect(await ownerOfAsync('')).toBe('e3b0c44298fc1c149afbf4c8')
  })

  it('plainTokenOwnerAsync is token- and 12 hex digits of it, which the reserved pattern matches', async () => {
    expect(await plainTokenOwnerAsync('abc')).toBe('token-ba7816bf8f01')
    expect(PLAIN_TOKEN_OWNER_PATTERN.test(await plainTokenOwnerAsync('abc'))).toBe(true)
  })
})

describe('resolveAccountsAsync', () => {
  it('puts the file’s accounts first, then one a RELAY_TOKENS token (the same token once)', async () => {
    const accounts = await resolveAccountsAsync([fileAccount('alice')], ['abc', 'def', 'abc'])
    expect(accounts).toEqual([
      fileAccount('alice'),
      { token: 'abc', owner: 'token-ba7816bf8f01', dailyBudgetUsd: null, requestsPerMinute: 30, role: 'user', maxRunningEdits: 4 },
      {
        token: 'def',
        owner: await plainTokenOwnerAsync('def'),
        dailyBudgetUsd: null,
        requestsPerMinute: 30,
        role: 'user',
        maxRunningEdits: 4
      }
    ])
    expect(DEFAULT_REQUESTS_PER_MINUTE).toBe(30)
  })

  it('takes no accounts at all', async () => {
    expect(await resolveAccountsAsync([], [])).toEqual([])
  })

  it('refuses two owners that differ only in case, naming the second and no token', async () => {
    const twin = fileAccount('Alice', 'the-second-secret-token')
    const refusal = resolveAccountsAsync([fileAccount('alice'), twin], [])
    await expect(refusal).rejects.toThrow(
      'Two access tokens have the owner name "Alice". Each owner needs its own name: rename it in the tokens file.'
    )
    await expect(resolveAccountsAsync([fileAccount('alice'), fileAccount('alicia')], [])).resolves.toHaveLength(2)
    // Compared in lower case, not upper: "Straße" and "STRASSE" are two names (upper case makes both STRASSE).
    await expect(resolveAccountsAsync([fileAccount('Straße'), fileAccount('STRASSE')], [])).resolves.toHaveLength(2)
  })
})
