import type { ProviderSpec } from '../models'
import { FLUX2_BASE, FLUX2_MAX_PIXELS, PRO_MAX_BASE, SAFETY_0_6, flat } from './offer-bases'

/** Runflow's offers: its ids, limits and prices for each model it serves. */
export const RUNFLOW = {
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
      price: flat(0.08)
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
      price: flat(0.04)
    },
    /*
     * [klein] 9B edit (docs.runflow.io `black-forest-labs/flux-2-klein-9b/edit`): fal's klein schema, as
     * Runflow serves fal's models: prompt, image_urls (required), seed, num_inference_steps (default 4),
     * image_size, num_images, sync_mode, enable_safety_checker, output_format jpeg|png|webp (default
     * png); $0.011 a megapixel, input and output. No safety_tolerance, guidance or prompt expansion.
     * The [klein] 4B is not offered: Runflow's 4B edit takes other fields (`steps`, no num_images or
     * output_format, JPEG only), and both share the 'flux2-klein' schema, so its body could only come
     * from branching on the model id.
     */
    'flux2-klein-9b': {
      ...FLUX2_BASE,
      schema: 'flux2-klein',
      hostModelId: 'black-forest-labs/flux-2-klein-9b/edit',
      // "A maximum of 4 images" (fal-js `Flux2Klein4bEditInput`, which `Flux2Klein9bEditInput` is).
      maxReferences: 4,
      // num_images 1–4 as on fal's klein pages; Runflow documents no other bound.
      variantsPerCall: 4,
      // Runflow also returns webp; held to png and jpeg, the formats this relay's tests can check end to end.
      outputFormats: ['png', 'jpeg'],
      safetyTolerance: null,
      promptUpsampling: false,
      // Default 4 (docs.runflow.io); 4–8 as fal's klein page, the distilled model's range. Always sent.
      steps: { min: 4, max: 8, default: 4 },
      // Runflow documents no size limits: held to fal's FLUX.2 box (×16, 256–2048 a side, 4 MP), the conservative reading.
      output: { kind: 'free', step: 16, minSide: 256, maxSide: 2048, maxPixels: FLUX2_MAX_PIXELS },
      // $0.011/MP input + output (docs.runflow.io model page), rounded up per megapixel as fal bills.
      price: { firstMpUsd: 0.011, extraMpUsd: 0.011, inputMpUsd: 0.011 }
    }
  }
} as const satisfies ProviderSpec
