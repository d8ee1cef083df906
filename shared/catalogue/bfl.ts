import type { ProviderSpec } from '../models'
import { FLUX2_BASE, FLUX2_FLEX, FLUX2_MAX_PIXELS, FLUX2_PRICES, PRO_MAX_BASE, SAFETY_0_5, SAFETY_0_6, flat } from './offer-bases'

const BFL_FLUX2 = {
  maxReferences: 8,
  outputFormats: ['png', 'jpeg'],
  safetyTolerance: SAFETY_0_5,
  output: { kind: 'free', step: 16, minSide: 64, maxSide: 4096, maxPixels: FLUX2_MAX_PIXELS }
} as const

/** Black Forest Labs' offers: its ids, limits and prices for each model it serves. */
export const BFL = {
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
      price: flat(0.08)
    },
    'kontext-pro': {
      ...PRO_MAX_BASE,
      hostModelId: 'flux-kontext-pro',
      maxReferences: 4,
      variantsPerCall: 1,
      outputFormats: ['png', 'jpeg', 'webp'],
      safetyTolerance: SAFETY_0_6,
      price: flat(0.04)
    },
    // POST /v1/{hostModelId}, `Flux2FlexInputs` / `Flux2Inputs`: input_image … input_image_8,
    // width/height (≥ 64, ×16, ≤ 4 MP); prompt_upsampling only on [flex] (docs/flux2.md, §1).
    'flux2-flex': {
      ...FLUX2_FLEX,
      ...BFL_FLUX2,
      hostModelId: 'flux-2-flex',
      promptUpsampling: true
    },
    'flux2-pro': { ...FLUX2_BASE, ...BFL_FLUX2, hostModelId: 'flux-2-pro', promptUpsampling: false, price: FLUX2_PRICES['flux2-pro'] },
    'flux2-max': { ...FLUX2_BASE, ...BFL_FLUX2, hostModelId: 'flux-2-max', promptUpsampling: false, price: FLUX2_PRICES['flux2-max'] },
    // `Flux2KleinInputs` is `Flux2Inputs` with four references (BFL's OpenAPI, /v1/flux-2-klein-4b and -9b);
    // 1.4¢ + 0.1¢ and 1.5¢ + 0.2¢ a megapixel (skills SKILL.md).
    'flux2-klein-4b': {
      ...FLUX2_BASE,
      ...BFL_FLUX2,
      schema: 'flux2-klein',
      hostModelId: 'flux-2-klein-4b',
      maxReferences: 4,
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-klein-4b']
    },
    'flux2-klein-9b': {
      ...FLUX2_BASE,
      ...BFL_FLUX2,
      schema: 'flux2-klein',
      hostModelId: 'flux-2-klein-9b',
      maxReferences: 4,
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-klein-9b']
    }
  }
} as const satisfies ProviderSpec
