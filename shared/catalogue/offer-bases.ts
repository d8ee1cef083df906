import { KONTEXT_SIZES, type KontextSizeSpec } from '../aspect-ratios'
import { KONTEXT_MAX_INPUT_PIXELS, REFERENCE_TARGET_PIXELS } from '../limits'
import type { OutputSizes, Price, Range } from '../models'

// What several hosts' offers have in common: ranges, sizes, prices, and the base of each family's offers.

export const UINT32 = 4_294_967_295
export const fixed = (sizes: readonly KontextSizeSpec[]): OutputSizes => ({ kind: 'fixed', sizes })
export const flat = (usd: number): Price => ({ firstMpUsd: usd, extraMpUsd: 0, inputMpUsd: 0 })
export const KONTEXT_REFERENCE_PIXELS = REFERENCE_TARGET_PIXELS
export const SAFETY_0_6: Range = { min: 0, max: 6, default: 2 }
/**
 * Replicate's schema for its BFL-backed Kontext models caps safety tolerance at 2 when an input
 * image is sent (docs/hosts.md, "Replicate"). BFL's own OpenAPI allows 0–6 for Kontext.
 */
export const SAFETY_0_2: Range = { min: 0, max: 2, default: 2 }

/**
 * FLUX.2 (docs/flux2.md, beside docs/hosts.md): free sizes, per-megapixel prices with the
 * references billed, up to 8 references. [flex]'s steps and guidance always go out, because the
 * hosts' defaults differ (BFL 50 / 5, fal 28 / 3.5, Replicate 30 / 4.5); these are BFL's own.
 */
export const FLUX2_FLEX_STEPS: Range = { min: 1, max: 50, default: 50 }
export const FLUX2_FLEX_GUIDANCE: Range = { min: 1.5, max: 10, default: 5 }
/** At most 4 MP out (BFL's OpenAPI and skills); the frame at 2× is the most worth asking for. */
export const FLUX2_MAX_PIXELS = 4_000_000
/** BFL's prices (skills SKILL.md; fal lists the same for [flex] and [max] edits). */
export const FLUX2_PRICES = {
  'flux2-pro': { firstMpUsd: 0.03, extraMpUsd: 0.015, inputMpUsd: 0.015 },
  'flux2-flex': { firstMpUsd: 0.05, extraMpUsd: 0.05, inputMpUsd: 0.05 },
  'flux2-max': { firstMpUsd: 0.07, extraMpUsd: 0.03, inputMpUsd: 0.03 },
  'flux2-klein-4b': { firstMpUsd: 0.014, extraMpUsd: 0.001, inputMpUsd: 0.001 },
  'flux2-klein-9b': { firstMpUsd: 0.015, extraMpUsd: 0.002, inputMpUsd: 0.002 }
} as const satisfies Record<string, Price>
/** BFL's FLUX.2 safety_tolerance is 0–5 (OpenAPI `Flux2Inputs`); fal's and Replicate's are 1–5. */
export const SAFETY_0_5: Range = { min: 0, max: 5, default: 2 }
export const SAFETY_1_5: Range = { min: 1, max: 5, default: 2 }

export const FLUX2_BASE = {
  schema: 'flux2',
  referencePixels: FLUX2_MAX_PIXELS,
  // BFL's [pro] takes 9 MP of references in all (docs.bfl.ai, flux2_image_editing); the relay holds every FLUX.2 offer to it.
  maxInputPixels: 9_000_000,
  maxVariants: 4,
  variantsPerCall: 1,
  steps: null,
  guidance: null,
  outputQuality: null,
  seedMax: UINT32
} as const

/** [flex] with its two settings; [pro] and [max] have none. */
export const FLUX2_FLEX = {
  ...FLUX2_BASE,
  steps: FLUX2_FLEX_STEPS,
  guidance: FLUX2_FLEX_GUIDANCE,
  price: FLUX2_PRICES['flux2-flex']
} as const

export const PRO_MAX_BASE = {
  schema: 'kontext',
  referencePixels: KONTEXT_REFERENCE_PIXELS,
  maxInputPixels: KONTEXT_MAX_INPUT_PIXELS,
  maxVariants: 4,
  promptUpsampling: true,
  guidance: null,
  steps: null,
  outputQuality: null,
  seedMax: UINT32,
  output: fixed(KONTEXT_SIZES)
} as const
