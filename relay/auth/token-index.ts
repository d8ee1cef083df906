import type { Account } from './account'

/** SHA-256, injected per runtime: WebCrypto's is a job on Node's thread pool (~1 ms of the relay's CPU per edit under load), node:crypto's is synchronous. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** WebCrypto's: what Workers use, and the default anywhere else. */
// Stryker disable next-line MethodExpression: the copy only gives WebCrypto the ArrayBuffer-backed view its typings ask for; the digest is the same
export const webSha256: Sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()))

export interface TokenIndex {
  /** The first account with this token, if any. */
  findAsync(token: string): Promise<Account | undefined>
}

const encoder = new TextEncoder()

/** The whole digest, a character a byte: two tokens share a key only if they share a SHA-256. */
function keyOf(digest: Uint8Array): string {
  return String.fromCharCode(...digest)
}

/**
 * Accounts by the SHA-256 of their tokens, digested once. A request then costs one digest of the
 * token it presents and a map lookup, whatever the number of accounts (comparing the token with
 * each account's, as Hono's timingSafeEqual does, digests both sides for every account on every
 * request). No constant-time compare is needed after it: what the lookup's timing could tell is
 * about a digest, and a digest says nothing about a token that would match it (the same reason
 * Hono's timingSafeEqual compares digests).
 */
export async function createTokenIndexAsync(accounts: readonly Account[], sha256: Sha256 = webSha256): Promise<TokenIndex> {
  const byDigest = new Map<string, Account>()
  for (const account of accounts) {
    const key = keyOf(await sha256(encoder.encode(account.token)))
    // Two accounts with one token: the first stands, as it always has.
    if (!byDigest.has(key)) byDigest.set(key, account)
  }
  return {
    async findAsync(token) {
      return byDigest.get(keyOf(await sha256(encoder.encode(token))))
    }
  }
}

/** One index per accounts promise, built on first use (a relay whose accounts fail to load never serves). */
export function lazyTokenIndex(accounts: Promise<readonly Account[]>, sha256?: Sha256): () => Promise<TokenIndex> {
  let index: Promise<TokenIndex> | undefined
  return () => (index ??= accounts.then((resolved) => createTokenIndexAsync(resolved, sha256)))
}
