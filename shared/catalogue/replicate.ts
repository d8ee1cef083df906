import { KONTEXT_MAX_INPUT_PIXELS } from '../limits'
import { KONTEXT_SIZES } from '../aspect-ratios'
import type { ProviderSpec } from '../models'
import {
  FLUX2_BASE,
  FLUX2_FLEX,
  FLUX2_MAX_PIXELS,
  FLUX2_PRICES,
  KONTEXT_REFERENCE_PIXELS,
  PRO_MAX_BASE,
  SAFETY_0_2,
  SAFETY_1_5,
  UINT32,
  fixed,
  flat
} from './offer-bases'

/** Replicate's flux-2-*: input_images (≤ 8), width/height 256–2048 with aspect_ratio "custom", ×32 on [pro]'s version. */
const REPLICATE_FLUX2 = {
  maxReferences: 8,
  outputFormats: ['png', 'jpeg', 'webp'],
  safetyTolerance: SAFETY_1_5,
  outputQuality: { min: 0, max: 100, default: 80 },
  output: { kind: 'free', step: 32, minSide: 256, maxSide: 2048, maxPixels: FLUX2_MAX_PIXELS }
} as const

/** Replicate's offers: its ids, limits and prices for each model it serves. */
export const REPLICATE = {
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
      price: flat(0.08)
    },
    'kontext-pro': {
      ...PRO_MAX_BASE,
      hostModelId: 'black-forest-labs/flux-kontext-pro',
      multiHostModelId: 'flux-kontext-apps/multi-image-kontext-pro',
      maxReferences: 2,
      variantsPerCall: 1,
      outputFormats: ['png', 'jpeg'],
      safetyTolerance: SAFETY_0_2,
      price: flat(0.04)
    },
    'kontext-dev': {
      schema: 'kontext',
      referencePixels: KONTEXT_REFERENCE_PIXELS,
      maxInputPixels: KONTEXT_MAX_INPUT_PIXELS,
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
      output: fixed(KONTEXT_SIZES),
      price: flat(0.025)
    },
    // black-forest-labs/flux-2-* (Replicate's version API pages, docs/flux2.md, §4); prompt_upsampling on [flex] only.
    'flux2-flex': { ...FLUX2_FLEX, ...REPLICATE_FLUX2, hostModelId: 'black-forest-labs/flux-2-flex', promptUpsampling: true },
    'flux2-pro': {
      ...FLUX2_BASE,
      ...REPLICATE_FLUX2,
      hostModelId: 'black-forest-labs/flux-2-pro',
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-pro']
    },
    'flux2-max': {
      ...FLUX2_BASE,
      ...REPLICATE_FLUX2,
      hostModelId: 'black-forest-labs/flux-2-max',
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-max']
    }
  }
} as const satisfies ProviderSpec
