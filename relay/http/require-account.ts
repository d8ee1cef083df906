import type { Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { AppError } from '../../shared/errors'
import type { Account } from '../auth/account'
import type { TokenIndex } from '../auth/token-index'

function reject(message: string): () => never {
  return () => {
    throw new AppError('unauthorized', message)
  }
}

/**
 * Hono's bearer-auth with its failures thrown as AppError, so a wrong token gets the same JSON
 * envelope as every other error. The token is looked up by its digest (auth/token-index.ts), and
 * the matching account is handed to `found`.
 */
export function requireAccount<C extends Context>(index: () => Promise<TokenIndex>, found: (c: C, account: Account) => void) {
  const verifyTokenAsync = async (token: string, c: Context): Promise<boolean> => {
    const match = await (await index()).findAsync(token)
    if (match !== undefined) found(c as C, match)
    return match !== undefined
  }
  return bearerAuth({
    // `verifyToken` is Hono's option name.
    verifyToken: verifyTokenAsync,
    noAuthenticationHeader: { message: reject('Send the relay access token as "Authorization: Bearer <token>".') },
    invalidAuthenticationHeader: { message: reject('The Authorization header must be "Bearer <token>".') },
    invalidToken: { message: reject('That access token is not valid for this relay. Paste the token the relay printed when it started.') }
  })
}
