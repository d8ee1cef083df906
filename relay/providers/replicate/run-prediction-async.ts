import type { ProviderEditInput } from '../provider'
import type { VariantCall, VariantCallResult } from '../shared/run-variants-async'
import { buildReplicateCall } from './build-replicate-call'
import { cancelPredictionInBackground } from './cancel-prediction-in-background'
import { collectPredictionAsync } from './collect-prediction-async'
import { followPredictionAsync } from './follow-prediction-async'
import type { ReplicateContext } from './replicate-context'
import { isTerminal, type Prediction } from './replicate-prediction'
import { submitPredictionAsync } from './submit-prediction-async'

/**
 * One call of the variant engine: one prediction (Kontext and FLUX.2 make one image each), from
 * its submit to its downloaded images. `images` are the references as Replicate takes them, made
 * once per edit. When the edit is aborted, the prediction is canceled at Replicate.
 */
export async function runPredictionAsync(
  context: ReplicateContext,
  input: ProviderEditInput,
  images: readonly string[],
  call: VariantCall
): Promise<VariantCallResult> {
  const { signal } = input
  const wire = buildReplicateCall(input, call.seed, images)
  let current: Prediction = await submitPredictionAsync(context, wire, call.index, signal)
  try {
    if (!isTerminal(current)) {
      current = await followPredictionAsync(context, current, { signal, onProgress: call.onProgress, onUpdate: (next) => (current = next) })
    }
    const results = await collectPredictionAsync(context, current, wire.seed, signal)
    // Replicate reports no cost: the jobs layer bills the catalogue's price.
    return { images: results.slice(0, call.count), costUsd: undefined, hostJobId: current.id }
  } catch (error) {
    if (!signal.aborted) throw error
    if (!isTerminal(current)) cancelPredictionInBackground(context, current)
    throw signal.reason as Error
  }
}
