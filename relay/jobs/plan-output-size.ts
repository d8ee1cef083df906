import type { KontextRatio, KontextSizeSpec } from '../../shared/aspect-ratios'
import type { ModelOffer } from '../../shared/models'
import { nearestKontextSize } from '../../shared/nearest-kontext-size'
import { outputSizeFor } from '../../shared/output-size-for'
import { resolveKontextSize } from '../../shared/resolve-kontext-size'
import type { EditRequest } from '../../shared/relay-api'

export interface OutputPlan {
  /** What the host is asked for. */
  size: KontextSizeSpec
  /** The nearest of the nine ratio names (21:9 … 9:21), for hosts that take a ratio. */
  aspectRatio: KontextRatio
}

/**
 * The edit's output size, fixed before the budget is reserved (a FLUX.2 price depends on it): the
 * requested ratio, or the first reference's own with `auto`, at the offer's nearest size.
 */
export function planOutputSize(request: EditRequest, offer: ModelOffer, reference: { width: number; height: number }): OutputPlan {
  const auto = request.aspectRatio === 'auto'
  const ratio = auto ? nearestKontextSize(reference.width, reference.height) : resolveKontextSize(request.aspectRatio, reference)
  const aspect = auto ? reference : ratio
  return { size: outputSizeFor(offer.output, aspect, reference.width * reference.height), aspectRatio: ratio.ratio }
}
