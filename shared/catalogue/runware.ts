import { KONTEXT_MAX_INPUT_PIXELS } from '../limits'
import { KONTEXT_DEV_SIZES } from '../aspect-ratios'
import type { ProviderSpec } from '../models'
import {
  FLUX2_BASE,
  FLUX2_FLEX,
  FLUX2_MAX_PIXELS,
  FLUX2_PRICES,
  KONTEXT_REFERENCE_PIXELS,
  PRO_MAX_BASE,
  SAFETY_0_5,
  SAFETY_0_6,
  UINT32,
  fixed,
  flat
} from './offer-bases'

/** Runware: width and height 256–2048, ×16 (its model pages); [pro]/[max] make one image a call. */
const RUNWARE_FLUX2 = {
  maxReferences: 8,
  outputFormats: ['png', 'jpeg', 'webp'],
  safetyTolerance: SAFETY_0_5,
  outputQuality: { min: 20, max: 99, default: 95 },
  output: { kind: 'free', step: 16, minSide: 256, maxSide: 2048, maxPixels: FLUX2_MAX_PIXELS }
} as const

/**
 * [klein] on Runware is Runware's own hosting of the open weights (`runware:400@*`, like Kontext [dev]'s
 * `runware:106@1`), not BFL behind Runware: its schema has no `providerSettings` at all, so no safety
 * tolerance and no prompt upsampling. What it has instead (Runware's per-model schema.json for
 * runware:400@4 and @2, read through unorouter `src/lib/ai/image/runware-schemas.json`; docs/flux2.md, §2):
 * - `inputs.referenceImages`, at most 4 (BFL's own [klein] limit too: help.bfl.ai FLUX.2 specifications);
 * - `steps` 1–50, default 4 (the distilled models' four steps), and `CFGScale` 1–20, default 3.5: both
 *   always sent, so the edit does not ride on a default the host may change;
 * - `numberResults` 1–20: one task makes every variant, as on Kontext [dev];
 * - `width` and `height` 128–2048, "used together" (Runware's model pages); on BFL's ×16 grid
 *   (help.bfl.ai), and at most the 4 MP every FLUX.2 offer is held to;
 * - `outputFormat` JPG/PNG/WEBP and `outputQuality` 20–99 (runware.ai/docs/models/bfl-flux-2-klein-9b-kv,
 *   the 9B's KV sibling).
 * Its `negativePrompt`, `scheduler`, `acceleration` (default "high"), `lora` and `safety.checkContent` are
 * left at Runware's defaults. Runware's own price for the distilled pair is not in its stored docs
 * (third parties quote $0.0006 and $0.00078 a 1 MP text-to-image; the base models are $0.0019 and
 * $0.00416 on runware.ai/docs/models/bfl-flux-2-klein-*-base): the offers carry BFL's list price, which
 * is above every Runware figure seen, so a reservation never falls short; Runware's `cost` settles the edit.
 */
const RUNWARE_KLEIN = {
  ...FLUX2_BASE,
  schema: 'flux2-klein',
  maxReferences: 4,
  variantsPerCall: 4,
  outputFormats: ['png', 'jpeg', 'webp'],
  safetyTolerance: null,
  promptUpsampling: false,
  steps: { min: 1, max: 50, default: 4 },
  guidance: { min: 1, max: 20, default: 3.5 },
  outputQuality: { min: 20, max: 99, default: 95 },
  output: { kind: 'free', step: 16, minSide: 128, maxSide: 2048, maxPixels: FLUX2_MAX_PIXELS }
} as const

/** Runware's offers: its ids, limits and prices for each model it serves. */
export const RUNWARE = {
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
      price: flat(0.08)
    },
    'kontext-pro': {
      ...PRO_MAX_BASE,
      hostModelId: 'bfl:3@1',
      maxReferences: 2,
      variantsPerCall: 4,
      outputFormats: ['png', 'jpeg', 'webp'],
      safetyTolerance: SAFETY_0_6,
      outputQuality: { min: 20, max: 99, default: 95 },
      price: flat(0.04)
    },
    'kontext-dev': {
      schema: 'kontext',
      referencePixels: KONTEXT_REFERENCE_PIXELS,
      maxInputPixels: KONTEXT_MAX_INPUT_PIXELS,
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
      output: fixed(KONTEXT_DEV_SIZES),
      price: flat(0.0105)
    },
    // bfl:6@1 / bfl:5@1 / bfl:7@1 (runware-typescript task-map.ts), references in inputs.referenceImages,
    // steps and CFGScale on [flex] only (docs/flux2.md, §2).
    // Runware's [flex] schema caps CFGScale at 5 (its schema.json, read through a copy) and bills $0.06 a first megapixel.
    'flux2-flex': {
      ...FLUX2_FLEX,
      ...RUNWARE_FLUX2,
      hostModelId: 'bfl:6@1',
      promptUpsampling: true,
      guidance: { min: 1.5, max: 5, default: 5 },
      price: { firstMpUsd: 0.06, extraMpUsd: 0.06, inputMpUsd: 0.06 }
    },
    'flux2-pro': { ...FLUX2_BASE, ...RUNWARE_FLUX2, hostModelId: 'bfl:5@1', promptUpsampling: false, price: FLUX2_PRICES['flux2-pro'] },
    'flux2-max': { ...FLUX2_BASE, ...RUNWARE_FLUX2, hostModelId: 'bfl:7@1', promptUpsampling: false, price: FLUX2_PRICES['flux2-max'] },
    // runware:400@4 is [klein] 4B, runware:400@2 [klein] 9B (runware-typescript task-map.ts; @3, @5 are the
    // undistilled bases, @6 the 9B KV); both answer `ImageInferenceResult`, the items every model answers.
    'flux2-klein-4b': { ...RUNWARE_KLEIN, hostModelId: 'runware:400@4', price: FLUX2_PRICES['flux2-klein-4b'] },
    'flux2-klein-9b': { ...RUNWARE_KLEIN, hostModelId: 'runware:400@2', price: FLUX2_PRICES['flux2-klein-9b'] }
  }
} as const satisfies ProviderSpec
