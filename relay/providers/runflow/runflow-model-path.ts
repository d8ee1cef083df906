import { AppError } from '../../../shared/errors'
import type { InputSchema, ModelOffer } from '../../../shared/models'

/** Whether the schema's several references go to another model (Kontext's `/multi`) or to the same one (klein's `image_urls`). */
const MULTI_ENDPOINT: Record<InputSchema, boolean> = { kontext: true, flux2: false, 'flux2-klein': false }

/** The model path: the multi-reference model from 2 references on, where the schema has one; segments kept, each encoded (as the SDK's `encodeModelId`). */
export function runflowModelPath(offer: ModelOffer, references: number): string {
  const id = references > 1 && MULTI_ENDPOINT[offer.schema] ? offer.multiHostModelId : offer.hostModelId
  if (id === undefined) {
    throw new AppError('internal', undefined, {
      detail: `runflow offer ${offer.hostModelId} has no multiHostModelId for ${references} references`
    })
  }
  return id
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/')
}
