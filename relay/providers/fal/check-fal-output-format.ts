import { AppError } from '../../../shared/errors'
import type { InputSchema } from '../../../shared/models'
import type { OutputFormat } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'

/**
 * The formats each of fal's schemas returns (fal-js `types/endpoints.ts`, `output_format`): Kontext's
 * and FLUX.2's partner edits png or jpeg; [klein]'s `Flux2Klein4bEditInput` webp as well.
 */
const FORMATS: Record<InputSchema, readonly OutputFormat[]> = {
  kontext: ['png', 'jpeg'],
  flux2: ['png', 'jpeg'],
  'flux2-klein': ['png', 'jpeg', 'webp']
}

export function checkFalOutputFormat({ request, offer }: Pick<ProviderEditInput, 'request' | 'offer'>): void {
  if (!FORMATS[offer.schema].includes(request.outputFormat)) {
    throw new AppError('invalid_request', `fal returns ${FORMATS[offer.schema].join(' or ')}, not ${request.outputFormat}.`)
  }
}
