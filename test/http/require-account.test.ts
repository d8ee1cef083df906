import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { errorResponse } from '../../relay/http/error-response'
import { lazyTokenIndex } from '../../relay/auth/token-index'
import { requireAccount } from '../../relay/http/require-account'

function account(token: string, owner: string): Account {
  return { token, owner, dailyBudgetUsd: null, requestsPerMinute: 20, role: 'user', maxRunningEdits: 2 }
}

function appWithAccounts(accounts: Account[]) {
  const found: string[] = []
  const app = new Hono()
  app.use(
    '*',
    requireAccount(lazyTokenIndex(Promise.resolve(accounts)), (_c, match) => {
      found.push(match.owner)
    })
  )
  app.get('/', (c) => c.text('in'))
  app.onError((error, c) => errorResponse(error, c, () => undefined))
  return { app, found }
}

async function refusalAsync(app: Hono, authorization: string | undefined): Promise<unknown> {
  const response = await app.request('/', authorization === undefined ? {} : { headers: { authorization } })
  expect(response.status).toBe(401)
  return ((await response.json()) as { error: unknown }).error
}

describe('requireAccount', () => {
  it('lets a known token in and hands over its account', async () => {
    const { app, found } = appWithAccounts([account('token-a', 'alice'), account('token-b', 'bob')])
    const response = await app.request('/', { headers: { authorization: 'Bearer token-b' } })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('in')
    expect(found).toEqual(['bob'])
  })

  it('hands over the first account when two share a token', async () => {
    const { app, found } = appWithAccounts([account('same', 'first'), account('same', 'second')])
    expect((await app.request('/', { headers: { authorization: 'Bearer same' } })).status).toBe(200)
    expect(found).toEqual(['first'])
  })

  it('answers each failure 401 with its own message', async () => {
    const { app, found } = appWithAccounts([account('token-a', 'alice')])
    expect(await refusalAsync(app, undefined)).toEqual({
      code: 'unauthorized',
      message: 'Send the relay access token as "Authorization: Bearer <token>".'
    })
    expect(await refusalAsync(app, 'Basic dXNlcjpwYXNz')).toEqual({
      code: 'unauthorized',
      message: 'The Authorization header must be "Bearer <token>".'
    })
    expect(await refusalAsync(app, 'Bearer token-b')).toEqual({
      code: 'unauthorized',
      message: 'That access token is not valid for this relay. Paste the token the relay printed when it started.'
    })
    expect(await refusalAsync(app, 'Bearer token-a-and-more')).toMatchObject({ code: 'unauthorized' })
    expect(found).toEqual([])
  })

  it('lets no token in when there are no accounts', async () => {
    const { app } = appWithAccounts([])
    expect(await refusalAsync(app, 'Bearer anything')).toMatchObject({ code: 'unauthorized' })
  })
})
