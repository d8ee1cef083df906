import { MODELS, type ModelId, type ModelOffer } from './models'
import type { ModelCapabilities } from './relay-api'

/** What a client may set for one host's model, as GET /v1/models lists it. */
export function toCapabilities(model: ModelId, offer: ModelOffer): ModelCapabilities {
  return {
    id: model,
    name: MODELS[model].name,
    priceUsd: offer.priceUsd,
    maxReferences: offer.maxReferences,
    maxVariants: offer.maxVariants,
    outputFormats: [...offer.outputFormats],
    safetyTolerance: offer.safetyTolerance,
    promptUpsampling: offer.promptUpsampling,
    guidance: offer.guidance,
    steps: offer.steps,
    outputQuality: offer.outputQuality,
    seedMax: offer.seedMax
  }
}
