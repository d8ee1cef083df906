import * as z from 'zod'

/**
 * The model catalogue as data. A host serves a model when it has an id for it here; adapters
 * read ids and prices from this table and never branch on the model.
 */
export const ProviderId = z.enum(['runware'])
export type ProviderId = z.infer<typeof ProviderId>

export const ModelId = z.enum(['kontext-max', 'kontext-pro'])
export type ModelId = z.infer<typeof ModelId>

export interface ModelSpec {
  readonly name: string
  /** USD per output image at about one megapixel, as the hosts list it. */
  readonly priceUsd: number
  readonly providerModelIds: Partial<Record<ProviderId, string>>
}

export const DEFAULT_MODEL: ModelId = 'kontext-max'

export const MODELS = {
  'kontext-max': {
    name: 'FLUX.1 Kontext [max]',
    priceUsd: 0.08,
    providerModelIds: { runware: 'bfl:4@1' }
  },
  'kontext-pro': {
    name: 'FLUX.1 Kontext [pro]',
    priceUsd: 0.04,
    providerModelIds: { runware: 'bfl:3@1' }
  }
} as const satisfies Record<ModelId, ModelSpec>

export interface ProviderSpec {
  readonly name: string
  readonly apiKeyVariable: string
  /** Reference images one edit may carry on this host. */
  readonly maxReferences: number
}

export const PROVIDERS = {
  // Runware's Kontext [pro]/[max] take up to 2 references in inputs.referenceImages (providers.md §1.3).
  runware: { name: 'Runware', apiKeyVariable: 'RUNWARE_API_KEY', maxReferences: 2 }
} as const satisfies Record<ProviderId, ProviderSpec>

export function estimateCostUsd(model: ModelId, images: number): number {
  return Math.round(MODELS[model].priceUsd * images * 10_000) / 10_000
}
