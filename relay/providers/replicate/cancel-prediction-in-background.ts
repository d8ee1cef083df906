import { describeError } from '../../../shared/describe-error'
import { hostFetchAsync } from '../shared/host-fetch-async'
import { apiUrlOf } from './api-url-of'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import type { Prediction } from './replicate-prediction'

const CANCEL_TIMEOUT_MS = 10_000

/**
 * `POST urls.cancel` (replicate/replicate-javascript `lib/predictions.js`), not awaited: the edit
 * has already ended for the designer, so a failure is only logged.
 */
export function cancelPredictionInBackground(context: ReplicateContext, prediction: Prediction): void {
  const { deps } = context
  const fields = { provider: REPLICATE_PROVIDER, predictionId: prediction.id }
  let url: string
  try {
    url = apiUrlOf(context, prediction.urls.cancel, 'urls.cancel')
  } catch (error) {
    deps.log('provider.cancel_skipped', { ...fields, detail: describeError(error) })
    return
  }
  deps.log('provider.cancel', fields)
  hostFetchAsync(
    deps.fetch,
    url,
    { method: 'POST', headers: { authorization: context.authorization } },
    AbortSignal.timeout(CANCEL_TIMEOUT_MS)
  )
    .then(async (answer) => {
      if (answer.kind === 'network') {
        deps.log('provider.cancel_failed', { ...fields, detail: answer.detail })
        return
      }
      await answer.response.body?.cancel().catch(() => undefined)
      deps.log('provider.canceled', { ...fields, status: answer.response.status })
    })
    .catch((error: unknown) => deps.log('provider.cancel_failed', { ...fields, detail: describeError(error) }))
}
