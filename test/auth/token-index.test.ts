import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { createHash } from 'node:crypto'
import { nodeSha256 } from '../../relay/auth/node-sha256'
import { createTokenIndexAsync, lazyTokenIndex, sameDigest, webSha256 } from '../../relay/auth/token-index'

function account(token: string, owner: string): Account {
  return { token, owner, dailyBudgetUsd: null, requestsPerMinute: 20, role: 'user', maxRunningEdits: 2 }
}

describe('the token index', () => {
  it('finds each account by its token, and nothing for any other', async () => {
    const accounts = Array.from({ length: 50 }, (_, index) => account(`token-${index}`, `owner-${index}`))
    const index = await createTokenIndexAsync(accounts)
    for (const expected of accounts) expect((await index.findAsync(expected.token))?.owner).toBe(expected.owner)
    for (const other of ['token-50', 'TOKEN-1', 'token-1 ', '', 'token-']) expect(await index.findAsync(other)).toBeUndefined()
  })

  it('keeps the first account when two share a token', async () => {
    const index = await createTokenIndexAsync([account('same', 'first'), account('same', 'second')])
    expect((await index.findAsync('same'))?.owner).toBe('first')
  })

  it('finds nothing when there are no accounts', async () => {
    expect(await (await createTokenIndexAsync([])).findAsync('anything')).toBeUndefined()
  })

  it('builds the index once, on first use, from the accounts as they resolve', async () => {
    let resolve: (accounts: readonly Account[]) => void = () => undefined
    const index = lazyTokenIndex(new Promise<readonly Account[]>((settle) => (resolve = settle)))
    const first = index()
    expect(index()).toBe(first)
    resolve([account('late', 'later')])
    expect((await (await first).findAsync('late'))?.owner).toBe('later')
  })

  it('compares whole digests: any byte that differs, first or last, is a mismatch', () => {
    const digest = Uint8Array.from({ length: 32 }, (_, index) => index * 7)
    expect(sameDigest(digest, digest.slice())).toBe(true)
    for (const at of [0, 8, 31]) {
      const other = digest.slice()
      other[at] = other[at]! ^ 1
      expect(sameDigest(digest, other)).toBe(false)
    }
    const high = digest.slice()
    high[31] = high[31]! ^ 0x80
    expect(sameDigest(digest, high)).toBe(false)
  })

  it('digests with SHA-256 on either runtime: node:crypto’s and WebCrypto’s agree, and each index finds the same accounts', async () => {
    for (const text of ['', 'token-a', 'ünïcødé ✓', 'x'.repeat(10_000)]) {
      const bytes = new TextEncoder().encode(text)
      const expected = new Uint8Array(createHash('sha256').update(bytes).digest())
      expect(new Uint8Array(await webSha256(bytes))).toEqual(expected)
      expect(new Uint8Array(await nodeSha256(bytes))).toEqual(expected)
    }
    const accounts = [account('token-a', 'alice'), account('token-b', 'bob')]
    for (const sha256 of [nodeSha256, webSha256]) {
      const index = await createTokenIndexAsync(accounts, sha256)
      expect((await index.findAsync('token-b'))?.owner).toBe('bob')
      expect(await index.findAsync('token-c')).toBeUndefined()
    }
  })

  it('digests with the SHA-256 it is given, for the accounts and for each token presented', async () => {
    const seen: string[] = []
    const sha256 = (bytes: Uint8Array): Uint8Array => {
      seen.push(new TextDecoder().decode(bytes))
      return nodeSha256(bytes) as Uint8Array
    }
    const index = lazyTokenIndex(Promise.resolve([account('token-a', 'alice')]), sha256)
    expect((await (await index()).findAsync('token-a'))?.owner).toBe('alice')
    expect(seen).toEqual(['token-a', 'token-a'])
  })
})
