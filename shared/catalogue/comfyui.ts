import { KONTEXT_MAX_INPUT_PIXELS } from '../limits'
import { KONTEXT_DEV_SIZES } from '../aspect-ratios'
import type { ProviderSpec } from '../models'
import { KONTEXT_REFERENCE_PIXELS, UINT32, fixed, flat } from './offer-bases'

/** Comfyui's offers: its ids, limits and prices for each model it serves. */
export const COMFYUI = {
  name: 'ComfyUI (self-hosted)',
  apiKeyVariable: 'COMFYUI_URL',
  cancel: true,
  offers: {
    'kontext-dev': {
      schema: 'kontext',
      referencePixels: KONTEXT_REFERENCE_PIXELS,
      maxInputPixels: KONTEXT_MAX_INPUT_PIXELS,
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
      output: fixed(KONTEXT_DEV_SIZES),
      price: flat(0)
    }
  }
} as const satisfies ProviderSpec
