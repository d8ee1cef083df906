import { Hono } from 'hono'
import { toCapabilities } from '../../../shared/to-capabilities'
import { modelsOf, PROVIDERS, ProviderId } from '../../../shared/models'
import { ROUTES, type ModelsResponse } from '../../../shared/relay-api'
import type { RelayConfig } from '../../config'
import { resolveOffer } from '../../resolve-offer'
import type { AppEnv } from '../app-env'

/** `GET /v1/models`: open to all; each host's models with what this relay offers of them. */
export function modelsRoute(config: RelayConfig, configured: readonly ProviderId[]): Hono<AppEnv> {
  return new Hono<AppEnv>().get(ROUTES.models, (c) => {
    const body: ModelsResponse = {
      defaultProvider: config.defaultProvider ?? null,
      providers: ProviderId.options.map((id) => ({
        id,
        name: PROVIDERS[id].name,
        configured: configured.includes(id),
        cancel: PROVIDERS[id].cancel,
        models: modelsOf(id).map((model) => toCapabilities(model, resolveOffer(config, id, model)!))
      }))
    }
    return c.json(body)
  })
}
