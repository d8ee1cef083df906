import type { InputSchema } from '../../../shared/models'
import type { ProviderEditInput } from '../provider'
import type { RunwareDelivery } from './build-runware-body'

/**
 * Whether one image of the model can take long enough to hold a sync round trip open too long:
 * Kontext [dev] and FLUX.2 [flex] run up to 50 steps (28 and 50 by default), so a stepped offer goes
 * async. [klein] is distilled to four steps ("sub-second text-to-image and advanced editing in 4
 * steps": runware.ai/docs/models/bfl-flux-2-klein-9b-kv), so its one image comes back in the sync
 * answer, as Kontext [pro]'s does, without waiting out a poll.
 */
const LONG_RUNNING: Record<InputSchema, (input: ProviderEditInput) => boolean> = {
  kontext: (input) => input.offer.steps !== null,
  flux2: (input) => input.offer.steps !== null,
  'flux2-klein': () => false
}

/**
 * Whether an edit goes async: several variants, a long-running model, or the operator's
 * RUNWARE_DELIVERY=async. A sync answer carries the bytes in one round trip; a long job would hold
 * that round trip open, so it is submitted with `deliveryMethod: "async"` and polled.
 */
export function chooseDelivery(input: ProviderEditInput, setting: string | undefined): RunwareDelivery {
  return setting === 'async' || input.request.numImages > 1 || LONG_RUNNING[input.offer.schema](input) ? 'async' : 'sync'
}
