import type { ProviderSpec } from '../models'
import { PRO_MAX_BASE, SAFETY_0_6, flat } from './offer-bases'

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
    }
  }
} as const satisfies ProviderSpec
