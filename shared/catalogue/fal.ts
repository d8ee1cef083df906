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
  SAFETY_0_6,
  SAFETY_1_5,
  UINT32,
  fixed,
  flat
} from './offer-bases'

/** fal's `Flux2*EditInput`: image_urls, image_size {width, height}, safety_tolerance "1"–"5", no num_images. */
const FAL_FLUX2 = {
  maxReferences: 4,
  outputFormats: ['png', 'jpeg'],
  safetyTolerance: SAFETY_1_5,
  output: { kind: 'free', step: 16, minSide: 256, maxSide: 2048, maxPixels: FLUX2_MAX_PIXELS }
} as const

/**
 * fal's [klein] edits (fal-js endpoints.ts `Flux2Klein4bEditInput`, which `Flux2Klein9bEditInput` is;
 * docs/flux2.md, §3): fal runs the open weights itself, with its own schema. image_urls ("A maximum of
 * 4 images"), image_size {width, height} or a preset (no "auto"), num_images, num_inference_steps
 * (default 4), enable_safety_checker, output_format jpeg|png|webp (default png), seed, sync_mode.
 * No safety_tolerance, guidance_scale or prompt expansion.
 */
const FAL_KLEIN = {
  ...FLUX2_BASE,
  schema: 'flux2-klein',
  maxReferences: 4,
  // num_images 1–4 (fal.ai/models/fal-ai/flux-2/klein/9b/llms.txt, the same family's page): one call makes every variant.
  variantsPerCall: 4,
  outputFormats: ['png', 'jpeg', 'webp'],
  safetyTolerance: null,
  promptUpsampling: false,
  // Default 4 (fal-js); 4–8 on fal's klein page above, as distilled models take. Always sent.
  steps: { min: 4, max: 8, default: 4 },
  // fal documents no size limits for klein: held to fal's FLUX.2 box (×16, 2048 a side, 4 MP), the conservative reading.
  output: FAL_FLUX2.output
} as const

/** fal's offers: its ids, limits and prices for each model it serves. */
export const FAL = {
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
      price: flat(0.08)
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
      price: flat(0.04)
    },
    'kontext-dev': {
      schema: 'kontext',
      referencePixels: KONTEXT_REFERENCE_PIXELS,
      maxInputPixels: KONTEXT_MAX_INPUT_PIXELS,
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
      output: fixed(KONTEXT_SIZES),
      price: flat(0.025)
    },
    // fal-js endpoints.ts `Flux2FlexEditInput` / `Flux2ProEditInput` / `Flux2MaxEditInput` (docs/flux2.md, §3);
    // fal states no reference limit for these, so the relay keeps to [dev]'s documented 4.
    'flux2-flex': { ...FLUX2_FLEX, ...FAL_FLUX2, hostModelId: 'fal-ai/flux-2-flex/edit', promptUpsampling: false },
    'flux2-pro': {
      ...FLUX2_BASE,
      ...FAL_FLUX2,
      hostModelId: 'fal-ai/flux-2-pro/edit',
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-pro']
    },
    'flux2-max': {
      ...FLUX2_BASE,
      ...FAL_FLUX2,
      hostModelId: 'fal-ai/flux-2-max/edit',
      promptUpsampling: false,
      price: FLUX2_PRICES['flux2-max']
    },
    // $0.010 and $0.011 a megapixel of input and output (lumenfall.ai's fal listings; Runflow, which proxies
    // fal, documents the 9B's $0.011 (input + output)); fal's own klein edit pages were not at hand.
    'flux2-klein-4b': {
      ...FAL_KLEIN,
      hostModelId: 'fal-ai/flux-2/klein/4b/edit',
      price: { firstMpUsd: 0.01, extraMpUsd: 0.01, inputMpUsd: 0.01 }
    },
    'flux2-klein-9b': {
      ...FAL_KLEIN,
      hostModelId: 'fal-ai/flux-2/klein/9b/edit',
      price: { firstMpUsd: 0.011, extraMpUsd: 0.011, inputMpUsd: 0.011 }
    }
  }
} as const satisfies ProviderSpec
