import { AppError } from '../../../shared/errors'
import type { ProviderEditInput } from '../provider'

/** fal's Kontext and FLUX.2 edit schemas take png or jpeg only (fal-js `types/endpoints.ts`, `output_format`). */
export function checkFalOutputFormat({ request }: Pick<ProviderEditInput, 'request'>): void {
  if (request.outputFormat !== 'png' && request.outputFormat !== 'jpeg') {
    throw new AppError('invalid_request', `fal returns png or jpeg, not ${request.outputFormat}.`)
  }
}
