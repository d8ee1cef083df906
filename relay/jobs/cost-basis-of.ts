import type { CostBasis } from '../../shared/models'
import type { CreateJobInput } from './edit-jobs'
import { planOutputSize } from './plan-output-size'

/** What `images` of this edit would be billed on: their output size and every reference's pixels. */
export function costBasisOf(input: Pick<CreateJobInput, 'request' | 'offer' | 'references'>, images: number): CostBasis {
  const { size } = planOutputSize(input.request, input.offer, input.references[0]!)
  const inputPixels = input.references.reduce((sum, reference) => sum + reference.width * reference.height, 0)
  return { images, outputPixels: size.width * size.height, inputPixels }
}
