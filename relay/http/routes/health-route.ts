import { Hono } from 'hono'
import { MODELS, ModelId, modelsOf, PROVIDERS, ProviderId } from '../../../shared/models'
import { API_VERSION, ROUTES, type Health } from '../../../shared/relay-api'
import type { TokenIndex } from '../../auth/token-index'
import type { RelayConfig } from '../../config'
import type { AppEnv } from '../app-env'

function bearerOf(header: string | undefined): string | undefined {
  // Header values arrive trimmed (Fetch's Headers), so the token runs to the end.
  // Stryker disable next-line StringLiteral: no header and any other text without "Bearer " both fail the match
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

async function tokenStatusAsync(header: string | undefined, index: () => Promise<TokenIndex>): Promise<Health['auth']> {
  const token = bearerOf(header)
  if (token === undefined) return 'missing'
  return (await (await index()).findAsync(token)) === undefined ? 'invalid' : 'valid'
}

/** `GET /v1/health`: open to all; says whether the token sent (if any) is valid, never whose it is. */
export function healthRoute(config: RelayConfig, index: () => Promise<TokenIndex>, configured: readonly ProviderId[]): Hono<AppEnv> {
  return new Hono<AppEnv>().get(ROUTES.health, async (c) => {
    const body: Health = {
      status: 'ok',
      apiVersion: API_VERSION,
      auth: await tokenStatusAsync(c.req.header('authorization'), index),
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
