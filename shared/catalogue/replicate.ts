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

/**
 * What Replicate's FLUX.2 [klein] makes when asked for `output_megapixels` "2", the most the relay
 * asks for (relay/providers/replicate/klein-size-fields.ts): 2 × 1024² pixels, if its megapixel is
 * 1024² as on its FLUX.2 `resolution` (the sizes are undocumented [U]). "4" is in use too (public
 * code), but 4 × 1024² is over FLUX.2's 4 MP, and the host's sides past 2048 are unknown.
 */
const KLEIN_MAX_PIXELS = 2 * 1024 * 1024

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
    },
    // black-forest-labs/flux-2-klein-4b (version 8e9c42d7 API page; docs/flux2.md, §4): `images`, "Maximum 5
    // images"; no safety_tolerance (only disable_safety_checker, default false: left so), steps, guidance or
    // prompt upsampling; output_quality 0–100, default 95; output_format default jpg (its list, webp/jpg/png,
    // is FLUX.2's on Replicate, from public code [S]). It answers a list of URIs.
    // No width or height: `aspect_ratio` (match_input_image: the first reference's shape, which the plugin
    // exports at the frame's) and `output_megapixels`, so the host picks the sides. The output rule below is
    // that budget: the shape the relay asks for, at most KLEIN_MAX_PIXELS; the ×16 grid (BFL's for klein),
    // the 256 minimum and the 2048 side (Replicate's FLUX.2 cap) are how the relay plans it, not the host's
    // promise, so a result may differ from the planned size by a grid step or a megapixel option.
    // [klein] 9B is not offered: its version page (flux-2-klein-9b) was not found, only the -9b-base one
    // (b037b94b, the undistilled model, with `guidance`), and public code calling it [S].
    // Replicate publishes no klein price at hand (trackers show about 0.1¢ a megapixel [S]): BFL's own,
    // 1.4¢ + 0.1¢ a megapixel, inputs 0.1¢ (skills SKILL.md, as shared/catalogue/bfl.ts), is the higher bound.
    'flux2-klein-4b': {
      ...FLUX2_BASE,
      schema: 'flux2-klein',
      hostModelId: 'black-forest-labs/flux-2-klein-4b',
      maxReferences: 5,
      outputFormats: ['png', 'jpeg', 'webp'],
      safetyTolerance: null,
      promptUpsampling: false,
      outputQuality: { min: 0, max: 100, default: 95 },
      referencePixels: KLEIN_MAX_PIXELS,
      output: { kind: 'free', step: 16, minSide: 256, maxSide: 2048, maxPixels: KLEIN_MAX_PIXELS },
      price: FLUX2_PRICES['flux2-klein-4b']
    }
  }
} as const satisfies ProviderSpec
