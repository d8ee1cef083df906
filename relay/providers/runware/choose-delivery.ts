import type { ProviderEditInput } from '../provider'
import type { RunwareDelivery } from './build-runware-body'

/**
 * Whether an edit goes async: several variants, a stepped model (Kontext [dev], FLUX.2 [flex]), or
 * the operator's RUNWARE_DELIVERY=async. A sync answer carries the bytes in one round trip; a long
 * job would hold that round trip open, so it is submitted with `deliveryMethod: "async"` and polled.
 */
export function chooseDelivery(input: ProviderEditInput, setting: string | undefined): RunwareDelivery {
  return setting === 'async' || input.request.numImages > 1 || input.offer.steps !== null ? 'async' : 'sync'
}
