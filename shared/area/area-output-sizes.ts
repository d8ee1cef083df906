import { catalogueOfferOf, offerOf, type ModelId, type ProviderId } from '../models'

/**
 * The sizes the model answers at, so the crop can take one of their aspect ratios and the answer
 * maps onto it without stretching. The relay picks the size of the host's offer nearest to the
 * reference (relay/jobs/plan-output-size.ts), so the host's own list wins; with the host unknown,
 * the catalogue's first. A model with free sizes (FLUX.2) has none: the crop keeps its own aspect.
 */
export function areaOutputSizes(provider: ProviderId | undefined, model: ModelId): Array<{ width: number; height: number }> {
  const offer = (provider === undefined ? undefined : offerOf(provider, model)) ?? catalogueOfferOf(model)
  if (offer.output.kind === 'free') return []
  return offer.output.sizes.map(({ width, height }) => ({ width, height }))
}
