import { bearerAuth } from 'hono/bearer-auth'
import { AppError } from '../../shared/errors'

function reject(message: string): () => never {
  return () => {
    throw new AppError('unauthorized', message)
  }
}

/**
 * Hono's bearer-auth (timing-safe comparison) with its failures thrown as AppError, so a wrong
 * token gets the same JSON envelope as every other error.
 */
export function requireToken(tokens: readonly string[]) {
  if (tokens.length === 0) throw new Error('requireToken needs at least one token')
  return bearerAuth({
    token: [...tokens],
    noAuthenticationHeader: { message: reject('Send the relay access token as "Authorization: Bearer <token>".') },
    invalidAuthenticationHeader: { message: reject('The Authorization header must be "Bearer <token>".') },
    invalidToken: { message: reject('That access token is not valid for this relay. Paste the token the relay printed when it started.') }
  })
}
