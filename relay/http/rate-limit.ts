import { createMiddleware } from 'hono/factory'
import { AppError } from '../../shared/errors'
import type { AppDeps } from '../app'
import type { AppEnv } from './app-env'

/** The rate counts edits started (POST), before the body is read; polls and downloads are free. */
export function rateLimit(deps: Pick<AppDeps, 'rateLimiter' | 'log'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const account = c.get('account')
    const decision = await deps.rateLimiter.takeAsync(account.owner, account.requestsPerMinute)
    if (!decision.ok) {
      deps.log('http.rate_limited', {
        owner: account.owner,
        requestsPerMinute: account.requestsPerMinute,
        retryAfterSeconds: decision.retryAfterSeconds
      })
      throw new AppError(
        'rate_limited',
        `Too many edits: this access token may start ${account.requestsPerMinute} a minute. Try again in ${decision.retryAfterSeconds} second${decision.retryAfterSeconds === 1 ? '' : 's'}.`,
        { retryAfterSeconds: decision.retryAfterSeconds }
      )
    }
    await next()
  })
}
