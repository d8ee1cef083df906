import { KONTEXT_DEV_SIZES, KONTEXT_SIZES, type KontextSizeSpec } from '../../shared/aspect-ratios'
import { offerOf, type ModelId, type ProviderId } from '../../shared/models'

/**
 * The sizes the model answers at, so the crop can take one of their aspect ratios and the answer
 * maps onto it without stretching. The relay picks the size of the host's offer nearest to the
 * reference (relay/jobs/run-job-async.ts), so the host's own list wins; with the host unknown,
 * [dev] works at its 17 sizes and [pro]/[max] at the nine.
 */
export function areaOutputSizes(provider: ProviderId | undefined, model: ModelId): Array<{ width: number; height: number }> {
  const offered = provider === undefined ? undefined : offerOf(provider, model)?.sizes
  const sizes: readonly KontextSizeSpec[] = offered ?? (model === 'kontext-dev' ? KONTEXT_DEV_SIZES : KONTEXT_SIZES)
  return sizes.map(({ width, height }) => ({ width, height }))
}
