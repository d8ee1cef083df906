import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { holdEditPlace } from '../../relay/http/hold-edit-place'
import type { EditHold } from '../../relay/jobs/edit-capacity'

const ALICE: Account = { token: 't', owner: 'alice', dailyBudgetUsd: null, requestsPerMinute: 20, role: 'user', maxRunningEdits: 2 }

/** An app with holdEditPlace (at most 1000 bytes held) before a handler; records what was held and abandoned. */
function appWithHold(handler: (hold: EditHold) => void = () => undefined) {
  const calls: string[] = []
  const holds: Array<{ owner: string; bytes: number }> = []
  const jobs = {
    holdPlace(account: Account, bytes: number): EditHold {
      holds.push({ owner: account.owner, bytes })
      calls.push(`hold ${bytes}`)
      return {
        owner: account.owner,
        bytes,
        resize: () => undefined,
        adopt: () => undefined,
        abandon: () => calls.push('abandon'),
        release: () => undefined
      }
    }
  }
  const app = new Hono<{ Variables: { account: Account; editHold: EditHold } }>()
  app.use('*', async (c, next) => {
    c.set('account', ALICE)
    await next()
  })
  app.post('/', holdEditPlace(jobs, 1000), (c) => {
    calls.push('handler')
    handler(c.get('editHold'))
    return c.text('ok')
  })
  app.onError((error, c) => c.text(error.message, 500))
  return { app, calls, holds }
}

async function heldForAsync(contentLength: string | undefined): Promise<number> {
  const { app, holds } = appWithHold()
  const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': contentLength }
  // app.request with a Request keeps the headers as given (no body, so nothing recomputes them).
  await app.request(new Request('http://relay/', { method: 'POST', headers }))
  expect(holds).toHaveLength(1)
  expect(holds[0]!.owner).toBe('alice')
  return holds[0]!.bytes
}

describe('holdEditPlace', () => {
  it('holds the declared body size, capped at the largest request', async () => {
    expect(await heldForAsync('0')).toBe(0)
    expect(await heldForAsync('999')).toBe(999)
    expect(await heldForAsync('1000')).toBe(1000)
    expect(await heldForAsync('1001')).toBe(1000)
  })

  it('holds nothing yet for a body that declares no usable size', async () => {
    expect(await heldForAsync(undefined)).toBe(0)
    expect(await heldForAsync('-1')).toBe(0)
    expect(await heldForAsync('12.5')).toBe(0)
    expect(await heldForAsync('lots')).toBe(0)
    expect(await heldForAsync('9007199254740993')).toBe(0)
  })

  it('gives the handler the hold and abandons it when the request ends', async () => {
    let seen: EditHold | undefined
    const { app, calls } = appWithHold((hold) => {
      seen = hold
    })
    const response = await app.request(new Request('http://relay/', { method: 'POST', headers: { 'content-length': '10' } }))
    expect(response.status).toBe(200)
    expect(seen?.bytes).toBe(10)
    expect(calls).toEqual(['hold 10', 'handler', 'abandon'])
  })

  it('abandons the hold when the handler throws', async () => {
    const { app, calls } = appWithHold(() => {
      throw new Error('refused')
    })
    const response = await app.request(new Request('http://relay/', { method: 'POST', headers: { 'content-length': '10' } }))
    expect(response.status).toBe(500)
    expect(calls).toEqual(['hold 10', 'handler', 'abandon'])
  })
})
