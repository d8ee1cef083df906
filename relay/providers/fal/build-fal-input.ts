import type { InputSchema } from '../../../shared/models'
import type { ProviderEditInput } from '../provider'
import type { VariantCall } from '../shared/run-variants-async'
import { buildFalFlux2Input } from './build-fal-flux2-input'
import { buildFalKleinInput } from './build-fal-klein-input'
import { buildFalKontextInput } from './build-fal-kontext-input'
import { checkFalOutputFormat } from './check-fal-output-format'

type FalInputBuilder = (
  input: ProviderEditInput,
  call: Pick<VariantCall, 'count' | 'seed'>,
  images: readonly string[]
) => Record<string, unknown>

/** The input schema the offer names (data, never the model id) picks the wire format. */
const BUILDERS: Record<InputSchema, FalInputBuilder> = {
  kontext: buildFalKontextInput,
  flux2: buildFalFlux2Input,
  'flux2-klein': buildFalKleinInput
}

/**
 * The model input of one call. `images` are the references as fal takes them (data URIs or
 * uploaded file URLs, see fal-storage.ts).
 */
export function buildFalInput(
  input: ProviderEditInput,
  call: Pick<VariantCall, 'count' | 'seed'>,
  images: readonly string[]
): Record<string, unknown> {
  checkFalOutputFormat(input)
  return BUILDERS[input.offer.schema](input, call, images)
}
