import { estimateCostUsd, MODELS, type ModelId, type ModelOffer } from './models'
import type { ModelCapabilities } from './relay-api'

/** What a client may set for one host's model, as GET /v1/models lists it. */
export function toCapabilities(model: ModelId, offer: ModelOffer): ModelCapabilities {
  return {
    id: model,
    name: MODELS[model].name,
    priceUsd: estimateCostUsd(offer.price, { images: 1, outputPixels: 1_000_000, inputPixels: 1_000_000 }),
    price: offer.price,
    output:
      offer.output.kind === 'fixed'
        ? { kind: 'fixed', sizes: offer.output.sizes.map(({ width, height }) => ({ width, height })) }
        : offer.output,
    referencePixels: offer.referencePixels,
    maxInputPixels: offer.maxInputPixels,
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
