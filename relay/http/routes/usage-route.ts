import { Hono } from 'hono'
import { ROUTES } from '../../../shared/relay-api'
import type { AppDeps } from '../../app'
import type { AppEnv } from '../app-env'
import { usageOfAsync } from '../usage-of-async'

/** `GET /v1/usage[?day=YYYY-MM-DD]`, behind the token check (usage-of-async.ts). */
export function usageRoute(deps: Pick<AppDeps, 'store' | 'accounts' | 'now'>): Hono<AppEnv> {
  return new Hono<AppEnv>().get(ROUTES.usage, async (c) =>
    c.json(await usageOfAsync(c.get('account'), c.req.query('day'), { store: deps.store, accounts: await deps.accounts, now: deps.now() }))
  )
}
