import { offerOf, type ModelId, type ModelOffer, type ProviderId } from '../shared/models'
import type { RelayConfig } from './config'

/** The catalogue's offer with this relay's overrides, or undefined when the host lacks the model. */
export function resolveOffer(config: RelayConfig, provider: ProviderId, model: ModelId): ModelOffer | undefined {
  const offer = offerOf(provider, model)
  return offer === undefined ? undefined : { ...offer, ...config.hosts[provider].offerOverrides[model] }
}
