import { AppError } from '../../../shared/errors'
import { submitWithRetriesAsync, type SubmitOutcome } from '../shared/submit-with-retries-async'
import type { ReplicateCall } from './build-replicate-call'
import { cancelPredictionInBackground } from './cancel-prediction-in-background'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import { isTerminal, type Prediction } from './replicate-prediction'
import { submitPredictionOnceAsync } from './submit-prediction-once-async'
import { untilAbortedAsync } from './until-aborted-async'

/** How much longer than the hold a submit may take before the relay stops listening. */
const SUBMIT_GRACE_MS = 30_000

/**
 * Submits until Replicate creates the prediction, and again only after a refusal that cannot have
 * created one (shared/submit-with-retries-async.ts). While `Prefer: wait` holds the submit the
 * prediction's id is unknown; an abort then gives up at once, but the answer is still awaited in
 * the background and what it created is canceled.
 */
export async function submitPredictionAsync(
  context: ReplicateContext,
  call: ReplicateCall,
  variant: number,
  signal: AbortSignal
): Promise<Prediction> {
  const { deps, waitSeconds } = context
  return submitWithRetriesAsync<Prediction>(deps, signal, {
    attemptAsync: async (attempt) => {
      if (signal.aborted) throw signal.reason as Error
      deps.log('provider.submit', { provider: REPLICATE_PROVIDER, model: call.model, variant, attempt, waitSeconds })
      // Not the edit's signal: an abort during the hold must not lose the prediction's id.
      const pending = submitPredictionOnceAsync(context, call, AbortSignal.timeout(waitSeconds * 1000 + SUBMIT_GRACE_MS)).catch(
        (error: unknown): SubmitOutcome<Prediction> => ({
          kind: 'ambiguous',
          error: new AppError('provider_unavailable', undefined, {
            detail: `${REPLICATE_PROVIDER} submit: no answer within ${waitSeconds} s + ${SUBMIT_GRACE_MS / 1000} s`,
            cause: error
          })
        })
      )
      let outcome: SubmitOutcome<Prediction>
      try {
        outcome = await untilAbortedAsync(pending, signal)
      } catch (error) {
        void pending.then((late) => {
          if (late.kind === 'accepted' && !isTerminal(late.value)) cancelPredictionInBackground(context, late.value)
        })
        throw error
      }
      if (outcome.kind === 'accepted') {
        deps.log('provider.created', {
          provider: REPLICATE_PROVIDER,
          predictionId: outcome.value.id,
          status: outcome.value.status,
          variant
        })
      } else {
        deps.log('provider.submit_failed', {
          provider: REPLICATE_PROVIDER,
          variant,
          attempt,
          kind: outcome.kind,
          code: outcome.error.code,
          detail: outcome.error.detail
        })
      }
      return outcome
    }
  })
}
