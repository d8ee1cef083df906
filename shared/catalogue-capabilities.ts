import { offerOf, type ModelId, type ProviderId } from './models'
import type { ModelCapabilities } from './relay-api'
import { toCapabilities } from './to-capabilities'

/** The catalogue's capabilities, for when the relay cannot be asked. */
export function catalogueCapabilities(provider: ProviderId, model: ModelId): ModelCapabilities | undefined {
  const offer = offerOf(provider, model)
  return offer === undefined ? undefined : toCapabilities(model, offer)
}
