import type { Account } from './account'

/** The bytes of the digest that key the map; the whole digest is then compared in constant time. */
const KEY_BYTES = 8

/** SHA-256, injected per runtime: WebCrypto's is a job on Node's thread pool (~1 ms of the relay's CPU per edit under load), node:crypto's is synchronous. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** WebCrypto's: what Workers use, and the default anywhere else. */
export const webSha256: Sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()))

export interface TokenIndex {
  /** The first account with this token, if any. */
  findAsync(token: string): Promise<Account | undefined>
}

const encoder = new TextEncoder()

function keyOf(digest: Uint8Array): string {
  let key = ''
  for (let index = 0; index < KEY_BYTES; index += 1) key += digest[index]!.toString(16).padStart(2, '0')
  return key
}

/** Constant time over the whole digest: where two digests differ does not change how long this takes. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = 0
  for (let index = 0; index < a.length; index += 1) difference |= a[index]! ^ b[index]!
  return difference === 0
}

/**
 * Accounts by the SHA-256 of their tokens, digested once. A request then costs one digest of the
 * token it presents, a map lookup on the digest's first bytes and a constant-time compare of the
 * rest, whatever the number of accounts (comparing the token with each account's, as Hono's
 * timingSafeEqual does, digests both sides for every account on every request). The lookup's
 * timing can only tell about a digest, which says nothing about a token that would match it.
 */
export async function createTokenIndexAsync(accounts: readonly Account[], sha256: Sha256 = webSha256): Promise<TokenIndex> {
  const byKey = new Map<string, { digest: Uint8Array; account: Account }>()
  for (const account of accounts) {
    const digest = await sha256(encoder.encode(account.token))
    const key = keyOf(digest)
    // Two accounts with one token: the first stands, as it always has.
    if (!byKey.has(key)) byKey.set(key, { digest, account })
  }
  return {
    async findAsync(token) {
      const digest = await sha256(encoder.encode(token))
      const entry = byKey.get(keyOf(digest))
      return entry !== undefined && sameDigest(entry.digest, digest) ? entry.account : undefined
    }
  }
}

/** One index per accounts promise, built on first use (a relay whose accounts fail to load never serves). */
export function lazyTokenIndex(accounts: Promise<readonly Account[]>, sha256?: Sha256): () => Promise<TokenIndex> {
  let index: Promise<TokenIndex> | undefined
  return () => (index ??= accounts.then((resolved) => createTokenIndexAsync(resolved, sha256)))
}
