import { KONTEXT_MAX_INPUT_PIXELS } from '../limits'
import { KONTEXT_DEV_SIZES } from '../aspect-ratios'
import type { ProviderSpec } from '../models'
import { KONTEXT_REFERENCE_PIXELS, UINT32, fixed, flat } from './offer-bases'

/** ComfyUI's offers: the models a self-hosted server runs with the shipped workflows, and their limits. */
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
    },
    // Comfy-Org's official FLUX.2 [dev] edit template (workflow_templates `templates/image_flux2.json`):
    // the reference scaled to 1 MP, FluxGuidance 4, Flux2Scheduler 20 steps, the latent at the planned size.
    'flux2-dev': {
      schema: 'flux2',
      referencePixels: 1_048_576,
      maxInputPixels: 4 * 1_048_576,
      hostModelId: 'flux2_dev_fp8mixed.safetensors',
      maxReferences: 4,
      maxVariants: 4,
      variantsPerCall: 1,
      outputFormats: ['png'],
      safetyTolerance: null,
      promptUpsampling: false,
      guidance: { min: 1, max: 10, default: 4 },
      steps: { min: 1, max: 50, default: 20 },
      outputQuality: null,
      seedMax: UINT32,
      // The template's size: about a megapixel, on the VAE's 16-px grid; more is the operator's GPU's call (an offer override).
      output: { kind: 'free', step: 16, minSide: 256, maxSide: 2048, maxPixels: 1_048_576 },
      price: flat(0)
    }
  }
} as const satisfies ProviderSpec
