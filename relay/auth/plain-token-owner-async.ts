import { ownerOfAsync } from './owner-of-async'

/** The owner names RELAY_TOKENS tokens get; the tokens file may not use one (see tokens-file.ts). */
export const PLAIN_TOKEN_OWNER_PATTERN = /^token-[0-9a-f]{12}$/i

/** The owner name of a token from RELAY_TOKENS: a digest, so the ledger never holds the token. */
export async function plainTokenOwnerAsync(token: string): Promise<string> {
  return `token-${(await ownerOfAsync(token)).slice(0, 12)}`
}
