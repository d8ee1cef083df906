import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { createHash } from 'node:crypto'
import { nodeSha256 } from '../../relay/auth/node-sha256'
import { createTokenIndexAsync, lazyTokenIndex, webSha256 } from '../../relay/auth/token-index'

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

  it('tells apart digests that differ in any byte, and bytes that would read alike written without their leading zero', async () => {
    // Digests made up for the test: 32 bytes, equal but for one byte, or with 0x01 0x23 against 0x12 0x03.
    const digests: Record<string, number[]> = {
      first: [0x01, 0x23, ...new Array<number>(30).fill(7)],
      swapped: [0x12, 0x03, ...new Array<number>(30).fill(7)],
      last: [0x01, 0x23, ...new Array<number>(29).fill(7), 8]
    }
    const sha256 = (bytes: Uint8Array): Uint8Array =>
      Uint8Array.from(digests[new TextDecoder().decode(bytes)] ?? new Array<number>(32).fill(0))
    const index = await createTokenIndexAsync([account('first', 'a'), account('swapped', 'b'), account('last', 'c')], sha256)
    expect((await index.findAsync('first'))?.owner).toBe('a')
    expect((await index.findAsync('swapped'))?.owner).toBe('b')
    expect((await index.findAsync('last'))?.owner).toBe('c')
    expect(await index.findAsync('other')).toBeUndefined()
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
