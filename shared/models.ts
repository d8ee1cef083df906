import * as z from 'zod/mini'
import type { KontextSizeSpec } from './aspect-ratios'
import { PROVIDERS } from './catalogue/providers'
// Type only: relay-api.ts reads this catalogue at load time, so no value may come back from it.
import type { OutputFormat } from './relay-api'

/**
 * The model catalogue as data: the models, the hosts, and what each host offers of each model
 * (its own model ids, limits and price). Adapters read ids and capabilities from here and never
 * branch on a model; a new model is a new entry.
 */
export const ProviderId = z.enum(['runware', 'runflow', 'bfl', 'fal', 'replicate', 'comfyui'])
export type ProviderId = z.infer<typeof ProviderId>

export const ModelId = z.enum([
  'kontext-max',
  'kontext-pro',
  'kontext-dev',
  'flux2-flex',
  'flux2-pro',
  'flux2-max',
  'flux2-dev',
  'flux2-klein-4b',
  'flux2-klein-9b'
])
export type ModelId = z.infer<typeof ModelId>

export const DEFAULT_MODEL: ModelId = 'kontext-max'

/** Black Forest Labs names FLUX.2 [flex] its best model for typography and text edits (docs/flux2.md, §0). */
export const TEXT_MODEL: ModelId = 'flux2-flex'

export interface ModelSpec {
  readonly name: string
  /** USD per image at about one megapixel, as the hosts list it; a host's offer may differ. */
  readonly priceUsd: number
}

export const MODELS = {
  'kontext-max': { name: 'FLUX.1 Kontext [max]', priceUsd: 0.08 },
  'kontext-pro': { name: 'FLUX.1 Kontext [pro]', priceUsd: 0.04 },
  'kontext-dev': { name: 'FLUX.1 Kontext [dev]', priceUsd: 0.0105 },
  // FLUX.2 is priced by the megapixel, inputs included: these are a 1 MP edit of a 1 MP reference (BFL's skills, SKILL.md).
  'flux2-flex': { name: 'FLUX.2 [flex]', priceUsd: 0.1 },
  'flux2-pro': { name: 'FLUX.2 [pro]', priceUsd: 0.045 },
  'flux2-max': { name: 'FLUX.2 [max]', priceUsd: 0.1 },
  // Open weights, run on the team's own ComfyUI.
  'flux2-dev': { name: 'FLUX.2 [dev]', priceUsd: 0 },
  // The distilled models: fast and a few cents (BFL's skills, SKILL.md).
  'flux2-klein-4b': { name: 'FLUX.2 [klein] 4B', priceUsd: 0.015 },
  'flux2-klein-9b': { name: 'FLUX.2 [klein] 9B', priceUsd: 0.017 }
} as const satisfies Record<ModelId, ModelSpec>

export interface Range {
  readonly min: number
  readonly max: number
  readonly default: number
}

/**
 * The output sizes a model answers at: a fixed list (Kontext's ~1 MP sizes) or any width × height
 * on a grid within a pixel budget (FLUX.2: multiples of 16, at most 4 MP).
 */
export type OutputSizes =
  | { readonly kind: 'fixed'; readonly sizes: readonly KontextSizeSpec[] }
  | { readonly kind: 'free'; readonly step: number; readonly minSide: number; readonly maxSide: number; readonly maxPixels: number }

/**
 * USD for one image: its first output megapixel, each further one, and each megapixel of the
 * references (FLUX.2 bills inputs; Kontext is one flat price, so only the first is set). Hosts
 * round megapixels up (fal's FLUX.2 pages), and so does the estimate.
 */
export interface Price {
  readonly firstMpUsd: number
  readonly extraMpUsd: number
  readonly inputMpUsd: number
}

/**
 * Which of the host's input schemas the model takes: Kontext's (a ratio, one image field or a
 * multi endpoint), FLUX.2's edit schema (width and height, a list of references), or FLUX.2
 * [klein]'s, which some hosts shape otherwise (its own count, steps or fields; on BFL it is
 * FLUX.2's with four references). Each adapter says, in a table, how it builds each.
 */
export type InputSchema = 'kontext' | 'flux2' | 'flux2-klein'

/** What one host offers of one model. */
export interface ModelOffer {
  readonly schema: InputSchema
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
  readonly output: OutputSizes
  /** The most pixels a reference is worth sending: the plugin exports each one at about this size. */
  readonly referencePixels: number
  /** The most reference pixels the host takes in all; several references share it. */
  readonly maxInputPixels: number
  readonly price: Price
}

export interface ProviderSpec {
  readonly name: string
  readonly apiKeyVariable: string
  /** Whether the host can stop a job it has started. */
  readonly cancel: boolean
  readonly offers: Partial<Record<ModelId, ModelOffer>>
}

export { PROVIDERS }

export function offerOf(provider: ProviderId, model: ModelId): ModelOffer | undefined {
  const spec: ProviderSpec = PROVIDERS[provider]
  return spec.offers[model]
}

/** The first host's offer of `model`: what a client that does not know the relay's host goes by. */
export function catalogueOfferOf(model: ModelId): ModelOffer {
  const offer = ProviderId.options.map((provider) => offerOf(provider, model)).find((found) => found !== undefined)
  // Stryker disable next-line StringLiteral: every model has a host (test/capabilities), so no one reads this.
  if (offer === undefined) throw new Error(`no host offers ${model}`)
  return offer
}

export function modelsOf(provider: ProviderId): ModelId[] {
  return ModelId.options.filter((model) => offerOf(provider, model) !== undefined)
}

/** Megapixels as hosts bill them: each one started counts whole. */
function billedMegapixels(pixels: number): number {
  return Math.ceil(pixels / 1_000_000 - 1e-9)
}

/** What the pixels an edit reads and writes cost: `images` outputs of `outputPixels` each, every one reading `inputPixels`. */
export interface CostBasis {
  images: number
  outputPixels: number
  inputPixels: number
}

/** USD for `basis.images` images at `price`, to 1/100 of a cent. */
export function estimateCostUsd(price: Price, basis: CostBasis): number {
  const each =
    price.firstMpUsd +
    price.extraMpUsd * Math.max(0, billedMegapixels(basis.outputPixels) - 1) +
    price.inputMpUsd * billedMegapixels(basis.inputPixels)
  return Math.round(each * basis.images * 10_000) / 10_000
}
