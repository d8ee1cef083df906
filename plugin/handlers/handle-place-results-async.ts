import { AppError } from '../../shared/errors'
import { toErrorInfo } from '../../shared/to-error-info'
import { placeResultsAsync } from '../place/place-results-async'
import type { MessageHandler } from './handler-context'

export const handlePlaceResultsAsync: MessageHandler<'place-results'> = async (message, { figma, deps, canceled, post }) => {
  try {
    const placed = await placeResultsAsync(figma, message, () => canceled.has(message.requestId))
    post({ type: 'placed', requestId: message.requestId, ...placed })
    if (!placed.besideSource) figma.notify('The original layer is gone, so the result is in the middle of your view.')
  } catch (error) {
    deps.log('place failed', error instanceof AppError ? error.detail : error)
    post({ type: 'place-failed', requestId: message.requestId, error: toErrorInfo(error, 'place_failed') })
  }
}
