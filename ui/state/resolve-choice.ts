import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { PROVIDERS, type ProviderId } from '../../shared/models'
import type { ModelCapabilities, ModelsResponse } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'

export interface Choice {
  /** Hosts the relay has enabled (empty while unknown). */
  hosts: Array<{ id: ProviderId; name: string }>
  /** The host the edit goes to; undefined while the relay is unknown. */
  host: ProviderId | undefined
  /** Sent as `provider` only when the designer picked a host other than the relay's default. */
  explicitHost: ProviderId | undefined
  models: ModelCapabilities[]
  capabilities: ModelCapabilities
}

const FALLBACK = catalogueCapabilities('runware', 'kontext-max')!

/**
 * Which host and model an edit uses and what they support: the designer's choice where the relay
 * offers it, else the relay's default; the catalogue's data while the relay cannot be asked.
 */
export function resolveChoice(models: ModelsResponse | undefined, options: EditOptions): Choice {
  if (models === undefined) {
    const provider = options.provider ?? 'runware'
    const capabilities = catalogueCapabilities(provider, options.model) ?? FALLBACK
    return { hosts: [], host: undefined, explicitHost: options.provider ?? undefined, models: [capabilities], capabilities }
  }
  const enabled = models.providers.filter((provider) => provider.configured)
  const chosen = enabled.find((provider) => provider.id === options.provider)
  const host = chosen ?? enabled.find((provider) => provider.id === models.defaultProvider) ?? enabled[0]
  const hostModels = host?.models ?? []
  const capabilities = hostModels.find((model) => model.id === options.model) ?? hostModels[0] ?? FALLBACK
  return {
    hosts: enabled.map((provider) => ({ id: provider.id, name: PROVIDERS[provider.id].name })),
    host: host?.id,
    explicitHost: chosen !== undefined && chosen.id !== models.defaultProvider ? chosen.id : undefined,
    models: hostModels.length > 0 ? hostModels : [capabilities],
    capabilities
  }
}
