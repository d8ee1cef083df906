import { AppError } from '../../../shared/errors'
import type { ProviderEditInput } from '../provider'
import { REPLICATE_INPUT_SCHEMAS } from './replicate-input-schemas'

/**
 * The model for this edit, or why Replicate cannot take it; checked before anything is uploaded.
 * Kontext takes several references only through another model (the multi-image app); FLUX.2 takes
 * them all in one list. A schema may refuse what it cannot shape ([klein]: a ratio it lacks).
 */
export function replicateModelOf(input: ProviderEditInput): string {
  const { request, offer, references } = input
  const schema = REPLICATE_INPUT_SCHEMAS[offer.schema]
  const refusal = schema.refusal(input)
  if (refusal !== undefined) throw new AppError('invalid_request', refusal)
  const multi = schema.multiModel && references.length > 1
  const model = multi ? offer.multiHostModelId : offer.hostModelId
  if (model === undefined) {
    throw new AppError('invalid_request', `Replicate takes one reference image for ${input.model}.`)
  }
  // The multi-image apps take no prompt_upsampling (docs/hosts.md, "Replicate"): refuse rather than drop it.
  if (multi && request.promptUpsampling === true) {
    throw new AppError(
      'invalid_request',
      'Replicate cannot expand the prompt when several reference images are sent; leave promptUpsampling out or send one image.'
    )
  }
  return model
}
