import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import type { RateDecision } from '../../relay/auth/rate-limiter'
import type { AppEnv } from '../../relay/http/app-env'
import { errorResponse } from '../../relay/http/error-response'
import { rateLimit } from '../../relay/http/rate-limit'

const ALICE: Account = { token: 't', owner: 'alice', dailyBudgetUsd: null, requestsPerMinute: 7, role: 'user', maxRunningEdits: 2 }

function appWithLimit(decision: RateDecision) {
  const taken: Array<[string, number]> = []
  const logs: Array<{ event: string; fields: Record<string, unknown> }> = []
  let reached = 0
  const log = (event: string, fields: Record<string, unknown>) => logs.push({ event, fields })
  const rateLimiter = {
    async takeAsync(key: string, perMinute: number): Promise<RateDecision> {
      taken.push([key, perMinute])
      return decision
    }
  }
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    c.set('account', ALICE)
    await next()
  })
  app.post('/', rateLimit({ rateLimiter, log }), (c) => {
    reached += 1
    return c.text('ok')
  })
  app.onError((error, c) => errorResponse(error, c, log))
  return { app, taken, logs, reached: () => reached }
}

describe('rateLimit', () => {
  it('takes one from the owner’s allowance and lets the request through', async () => {
    const { app, taken, logs, reached } = appWithLimit({ ok: true })
    expect((await app.request('/', { method: 'POST' })).status).toBe(200)
    expect(taken).toEqual([['alice', 7]])
    expect(reached()).toBe(1)
    expect(logs).toEqual([])
  })

  it('answers 429 with Retry-After, logs it, and never reaches the handler', async () => {
    const { app, logs, reached } = appWithLimit({ ok: false, retryAfterSeconds: 12 })
    const response = await app.request('/', { method: 'POST' })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('12')
    expect(await response.json()).toEqual({
      error: { code: 'rate_limited', message: 'Too many edits: this access token may start 7 a minute. Try again in 12 seconds.' }
    })
    expect(reached()).toBe(0)
    expect(logs).toEqual([{ event: 'http.rate_limited', fields: { owner: 'alice', requestsPerMinute: 7, retryAfterSeconds: 12 } }])
  })

  it('says "1 second", not "1 seconds"', async () => {
    const { app } = appWithLimit({ ok: false, retryAfterSeconds: 1 })
    const response = await app.request('/', { method: 'POST' })
    expect(response.headers.get('retry-after')).toBe('1')
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/Try again in 1 second\.$/)
  })
})
