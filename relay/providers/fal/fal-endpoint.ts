import { AppError } from '../../../shared/errors'
import type { ProviderEditInput } from '../provider'

/** The endpoint id: the `/multi` one when there are several references (docs/hosts.md, "fal"). */
export function falEndpoint(input: Pick<ProviderEditInput, 'references' | 'offer' | 'model'>): string {
  if (input.references.length < 2) return input.offer.hostModelId
  if (input.offer.multiHostModelId === undefined) {
    throw new AppError('invalid_request', `fal takes one reference image for ${input.model}; this edit has ${input.references.length}.`)
  }
  return input.offer.multiHostModelId
}
