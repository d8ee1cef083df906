import { AppError } from '../../../shared/errors'
import type { InputSchema } from '../../../shared/models'
import type { ProviderEditInput } from '../provider'

/**
 * Whether the schema's endpoint takes every reference itself: FLUX.2's edits, [klein]'s too, take
 * `image_urls` always; Kontext's take one `image_url`, and several go to a `/multi` endpoint (fal-js
 * `types/endpoints.ts`).
 */
const TAKES_EVERY_REFERENCE: Record<InputSchema, boolean> = { kontext: false, flux2: true, 'flux2-klein': true }

/** The endpoint id: the `/multi` one when a Kontext edit has several references (docs/hosts.md, "fal"). */
export function falEndpoint(input: Pick<ProviderEditInput, 'references' | 'offer' | 'model'>): string {
  if (input.references.length < 2 || TAKES_EVERY_REFERENCE[input.offer.schema]) return input.offer.hostModelId
  if (input.offer.multiHostModelId === undefined) {
    throw new AppError('invalid_request', `fal takes one reference image for ${input.model}; this edit has ${input.references.length}.`)
  }
  return input.offer.multiHostModelId
}
