import * as z from 'zod/mini'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES, type KontextSizeSpec } from './aspect-ratios'
// Type only: relay-api.ts reads this catalogue at load time, so no value may come back from it.
import type { OutputFormat } from './relay-api'

/**
 * The model catalogue as data: the models, the hosts, and what each host offers of each model
 * (its own model ids, limits and price). Adapters read ids and capabilities from here and never
 * branch on a model; a new model is a new entry.
 */
export const ProviderId = z.enum(['runware', 'runflow', 'bfl', 'fal', 'replicate', 'comfyui'])
export type ProviderId = z.infer<typeof ProviderId>

export const ModelId = z.enum(['kontext-max', 'kontext-pro', 'kontext-dev'])
export type ModelId = z.infer<typeof ModelId>

export const DEFAULT_MODEL: ModelId = 'kontext-max'

export interface ModelSpec {
  readonly name: string
  /** USD per image at about one megapixel, as the hosts list it; a host's offer may differ. */
  readonly priceUsd: number
}

export const MODELS = {
  'kontext-max': { name: 'FLUX.1 Kontext [max]', priceUsd: 0.08 },
  'kontext-pro': { name: 'FLUX.1 Kontext [pro]', priceUsd: 0.04 },
  'kontext-dev': { name: 'FLUX.1 Kontext [dev]', priceUsd: 0.0105 }
} as const satisfies Record<ModelId, ModelSpec>

export interface Range {
  readonly min: number
  readonly max: number
  readonly default: number
}

/** What one host offers of one model. */
export interface ModelOffer {
  /** The host's id for the model (an AIR id, a path, a model slug). */
  readonly hostModelId: string
  /** The host's id for the same model with several references, where that is another endpoint. */
  readonly multiHostModelId?: string
  readonly maxReferences: number
  /** Variants in one edit; a host that makes one image a call is called once per variant. */
  readonly maxVariants: number
  /** Variants one host call can return. */
  readonly variantsPerCall: number
  readonly outputFormats: readonly OutputFormat[]
  /** Relay scale 0 (strictest) … 6; null when the host has no such setting. */
  readonly safetyTolerance: Range | null
  readonly promptUpsampling: boolean
  readonly guidance: Range | null
  readonly steps: Range | null
  readonly outputQuality: Range | null
  readonly seedMax: number
  /** The output sizes the host produces for this model. */
  readonly sizes: readonly KontextSizeSpec[]
  readonly priceUsd: number
}

export interface ProviderSpec {
  readonly name: string
  readonly apiKeyVariable: string
  /** Whether the host can stop a job it has started. */
  readonly cancel: boolean
  readonly offers: Partial<Record<ModelId, ModelOffer>>
}

const UINT32 = 4_294_967_295
const SAFETY_0_6: Range = { min: 0, max: 6, default: 2 }
/**
 * Replicate's schema for its BFL-backed Kontext models caps safety tolerance at 2 when an input
 * image is sent (docs/hosts.md, "Replicate"). BFL's own OpenAPI allows 0–6 for Kontext.
 */
const SAFETY_0_2: Range = { min: 0, max: 2, default: 2 }

const PRO_MAX_BASE = {
  maxVariants: 4,
  promptUpsampling: true,
  guidance: null,
  steps: null,
  outputQuality: null,
  seedMax: UINT32,
  sizes: KONTEXT_SIZES
} as const

export const PROVIDERS = {
  runware: {
    name: 'Runware',
    apiKeyVariable: 'RUNWARE_API_KEY',
    cancel: false,
    offers: {
      // Up to 2 references in inputs.referenceImages for pro/max (docs/hosts.md, "Runware").
      'kontext-max': {
        ...PRO_MAX_BASE,
        hostModelId: 'bfl:4@1',
        maxReferences: 2,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: SAFETY_0_6,
        outputQuality: { min: 20, max: 99, default: 95 },
        priceUsd: 0.08
      },
      'kontext-pro': {
        ...PRO_MAX_BASE,
        hostModelId: 'bfl:3@1',
        maxReferences: 2,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: SAFETY_0_6,
        outputQuality: { min: 20, max: 99, default: 95 },
        priceUsd: 0.04
      },
      'kontext-dev': {
        hostModelId: 'runware:106@1',
        maxReferences: 2,
        maxVariants: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: null,
        promptUpsampling: false,
        guidance: { min: 1, max: 20, default: 2.5 },
        steps: { min: 1, max: 50, default: 28 },
        outputQuality: { min: 20, max: 99, default: 95 },
        seedMax: UINT32,
        sizes: KONTEXT_DEV_SIZES,
        priceUsd: 0.0105
      }
    }
  },
  runflow: {
    name: 'Runflow',
    apiKeyVariable: 'RUNFLOW_API_KEY',
    // Runflow's cancellation needs an admin key and neither aborts nor refunds (docs/hosts.md, "Runflow").
    cancel: false,
    offers: {
      // The max and multi ids are inferred (docs/hosts.md, "Runflow"): configurable, see relay/config.ts.
      'kontext-max': {
        ...PRO_MAX_BASE,
        hostModelId: 'black-forest-labs/flux-pro/kontext/max',
        multiHostModelId: 'black-forest-labs/flux-pro/kontext/max/multi',
        maxReferences: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_6,
        guidance: { min: 1, max: 20, default: 3.5 },
        priceUsd: 0.08
      },
      'kontext-pro': {
        ...PRO_MAX_BASE,
        hostModelId: 'black-forest-labs/flux-pro/kontext',
        multiHostModelId: 'black-forest-labs/flux-pro/kontext/multi',
        maxReferences: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_6,
        guidance: { min: 1, max: 20, default: 3.5 },
        priceUsd: 0.04
      }
    }
  },
  bfl: {
    name: 'Black Forest Labs',
    apiKeyVariable: 'BFL_API_KEY',
    cancel: false,
    offers: {
      // input_image … input_image_4; one image a call, so variants are parallel submissions.
      // safety_tolerance 0–6 per BFL's OpenAPI (`FluxKontextProInputs`); see docs/hosts.md, "Black Forest Labs".
      'kontext-max': {
        ...PRO_MAX_BASE,
        hostModelId: 'flux-kontext-max',
        maxReferences: 4,
        variantsPerCall: 1,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: SAFETY_0_6,
        priceUsd: 0.08
      },
      'kontext-pro': {
        ...PRO_MAX_BASE,
        hostModelId: 'flux-kontext-pro',
        maxReferences: 4,
        variantsPerCall: 1,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: SAFETY_0_6,
        priceUsd: 0.04
      }
    }
  },
  fal: {
    name: 'fal',
    apiKeyVariable: 'FAL_KEY',
    cancel: true,
    offers: {
      'kontext-max': {
        ...PRO_MAX_BASE,
        hostModelId: 'fal-ai/flux-pro/kontext/max',
        multiHostModelId: 'fal-ai/flux-pro/kontext/max/multi',
        maxReferences: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_6,
        guidance: { min: 1, max: 20, default: 3.5 },
        priceUsd: 0.08
      },
      'kontext-pro': {
        ...PRO_MAX_BASE,
        hostModelId: 'fal-ai/flux-pro/kontext',
        multiHostModelId: 'fal-ai/flux-pro/kontext/multi',
        maxReferences: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_6,
        guidance: { min: 1, max: 20, default: 3.5 },
        priceUsd: 0.04
      },
      'kontext-dev': {
        hostModelId: 'fal-ai/flux-kontext/dev',
        maxReferences: 1,
        maxVariants: 4,
        variantsPerCall: 4,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: null,
        // fal's `DevKontextEditInput` has no enhance_prompt (docs/hosts.md, "fal").
        promptUpsampling: false,
        guidance: { min: 1, max: 20, default: 2.5 },
        steps: { min: 10, max: 50, default: 28 },
        outputQuality: null,
        seedMax: UINT32,
        sizes: KONTEXT_SIZES,
        priceUsd: 0.025
      }
    }
  },
  replicate: {
    name: 'Replicate',
    apiKeyVariable: 'REPLICATE_API_TOKEN',
    cancel: true,
    offers: {
      // Two references through flux-kontext-apps/multi-image-kontext-* (docs/hosts.md, "Replicate").
      'kontext-max': {
        ...PRO_MAX_BASE,
        hostModelId: 'black-forest-labs/flux-kontext-max',
        multiHostModelId: 'flux-kontext-apps/multi-image-kontext-max',
        maxReferences: 2,
        variantsPerCall: 1,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_2,
        priceUsd: 0.08
      },
      'kontext-pro': {
        ...PRO_MAX_BASE,
        hostModelId: 'black-forest-labs/flux-kontext-pro',
        multiHostModelId: 'flux-kontext-apps/multi-image-kontext-pro',
        maxReferences: 2,
        variantsPerCall: 1,
        outputFormats: ['png', 'jpeg'],
        safetyTolerance: SAFETY_0_2,
        priceUsd: 0.04
      },
      'kontext-dev': {
        hostModelId: 'black-forest-labs/flux-kontext-dev',
        maxReferences: 1,
        maxVariants: 4,
        variantsPerCall: 1,
        outputFormats: ['png', 'jpeg', 'webp'],
        safetyTolerance: null,
        promptUpsampling: false,
        guidance: { min: 0, max: 10, default: 2.5 },
        steps: { min: 4, max: 50, default: 30 },
        outputQuality: { min: 0, max: 100, default: 80 },
        seedMax: UINT32,
        sizes: KONTEXT_SIZES,
        priceUsd: 0.025
      }
    }
  },
  comfyui: {
    name: 'ComfyUI (self-hosted)',
    apiKeyVariable: 'COMFYUI_URL',
    cancel: true,
    offers: {
      'kontext-dev': {
        hostModelId: 'flux1-dev-kontext_fp8_scaled.safetensors',
        maxReferences: 2,
        maxVariants: 4,
        variantsPerCall: 1,
        outputFormats: ['png'],
        safetyTolerance: null,
        promptUpsampling: false,
        guidance: { min: 1, max: 10, default: 2.5 },
        steps: { min: 1, max: 50, default: 20 },
        outputQuality: null,
        // KSampler takes 0 … 2^64 − 1; the relay's seeds stay in uint32 for every host.
        seedMax: UINT32,
        sizes: KONTEXT_DEV_SIZES,
        priceUsd: 0
      }
    }
  }
} as const satisfies Record<ProviderId, ProviderSpec>

export function offerOf(provider: ProviderId, model: ModelId): ModelOffer | undefined {
  const spec: ProviderSpec = PROVIDERS[provider]
  return spec.offers[model]
}

export function modelsOf(provider: ProviderId): ModelId[] {
  return ModelId.options.filter((model) => offerOf(provider, model) !== undefined)
}

export function estimateCostUsd(priceUsd: number, images: number): number {
  return Math.round(priceUsd * images * 10_000) / 10_000
}
