import { Hono } from 'hono'
import { timingSafeEqual } from 'hono/utils/buffer'
import { MODELS, ModelId, modelsOf, PROVIDERS, ProviderId } from '../../../shared/models'
import { API_VERSION, ROUTES, type Health } from '../../../shared/relay-api'
import type { AppDeps } from '../../app'
import type { Account } from '../../auth/account'
import type { RelayConfig } from '../../config'
import type { AppEnv } from '../app-env'

function bearerOf(header: string | undefined): string | undefined {
  // Header values arrive trimmed (Fetch's Headers), so the token runs to the end.
  // Stryker disable next-line StringLiteral: no header and any other text without "Bearer " both fail the match
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

async function tokenStatusAsync(header: string | undefined, accounts: readonly Account[]): Promise<Health['auth']> {
  const token = bearerOf(header)
  if (token === undefined) return 'missing'
  let valid = false
  // Every token is compared, whichever matches, so the time taken says nothing about which.
  for (const account of accounts) {
    if (await timingSafeEqual(account.token, token)) valid = true
  }
  return valid ? 'valid' : 'invalid'
}

/** `GET /v1/health`: open to all; says whether the token sent (if any) is valid, never whose it is. */
export function healthRoute(config: RelayConfig, deps: Pick<AppDeps, 'accounts'>, configured: readonly ProviderId[]): Hono<AppEnv> {
  return new Hono<AppEnv>().get(ROUTES.health, async (c) => {
    const body: Health = {
      status: 'ok',
      apiVersion: API_VERSION,
      auth: await tokenStatusAsync(c.req.header('authorization'), await deps.accounts),
      defaultProvider: config.defaultProvider ?? null,
      providers: ProviderId.options.map((id) => ({
        id,
        name: PROVIDERS[id].name,
        configured: configured.includes(id),
        models: modelsOf(id)
      })),
      models: ModelId.options.map((id) => ({ id, name: MODELS[id].name, priceUsd: MODELS[id].priceUsd }))
    }
    return c.json(body)
  })
}
