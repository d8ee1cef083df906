import { AppError } from '../../../shared/errors'
import type { ModelOffer } from '../../../shared/models'

/** The model path: the multi-reference model from 2 references on; segments kept, each encoded (as the SDK's `encodeModelId`). */
export function runflowModelPath(offer: ModelOffer, references: number): string {
  const id = references > 1 ? offer.multiHostModelId : offer.hostModelId
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
