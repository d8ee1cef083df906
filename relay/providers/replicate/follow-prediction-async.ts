import type { ProviderProgress } from '../provider'
import { pollAsync } from '../shared/poll-async'
import { apiUrlOf } from './api-url-of'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import { isTerminal, type Prediction } from './replicate-prediction'
import { pollPredictionOnceAsync } from './poll-prediction-once-async'

export interface FollowOptions {
  signal: AbortSignal
  onProgress(progress: ProviderProgress): void
  /** Every state seen, so that an abort cancels the prediction as it last was. */
  onUpdate(prediction: Prediction): void
}

function reportProgress(prediction: Prediction, onProgress: FollowOptions['onProgress']): void {
  if (prediction.status === 'starting') onProgress({ status: 'queued' })
  else if (prediction.status === 'processing') onProgress({ status: 'running' })
}

/**
 * Follows a prediction still `starting`/`processing` after the hold through its `urls.get`, never
 * a rebuilt URL (replicate/replicate-javascript `lib/predictions.js`), until it ends.
 */
export async function followPredictionAsync(
  context: ReplicateContext,
  prediction: Prediction,
  options: FollowOptions
): Promise<Prediction> {
  const { deps } = context
  reportProgress(prediction, options.onProgress)
  const url = apiUrlOf(context, prediction.urls.get, 'urls.get')
  const id = prediction.id
  let lastStatus = prediction.status
  return pollAsync(
    async () => {
      const next = await pollPredictionOnceAsync(context, url, id, options.signal)
      if (next === undefined) return undefined
      options.onUpdate(next)
      if (next.status !== lastStatus) {
        lastStatus = next.status
        deps.log('provider.status', { provider: REPLICATE_PROVIDER, predictionId: id, status: next.status })
      }
      if (isTerminal(next)) return next
      reportProgress(next, options.onProgress)
      return undefined
    },
    { signal: options.signal, sleepAsync: deps.sleepAsync }
  )
}
