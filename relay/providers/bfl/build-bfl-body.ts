import type { InputSchema } from '../../../shared/models'
import { bytesToBase64 } from '../../images/bytes-to-base64'
import type { ProviderEditInput } from '../provider'

/**
 * How each input schema is told the output size (BFL's OpenAPI): Kontext's `FluxKontextProInputs`
 * takes a ratio name and has no width/height; FLUX.2's `Flux2Inputs` / `Flux2FlexInputs` take
 * width and height (×16, ≤ 4 MP: the relay's planned size is on that grid) and have no aspect_ratio.
 */
const SIZE_FIELDS: Record<InputSchema, (input: ProviderEditInput) => Record<string, unknown>> = {
  kontext: (input) => ({ aspect_ratio: input.aspectRatio }),
  flux2: (input) => ({ width: input.size.width, height: input.size.height }),
  // `Flux2KleinInputs` is `Flux2Inputs` with four references: the same size fields.
  'flux2-klein': (input) => ({ width: input.size.width, height: input.size.height })
}

/**
 * The body of one submission in the offer's schema: the documented fields, all explicit, as sources
 * disagree on defaults. Settings the offer lacks (null ranges, no prompt upsampling) are left out,
 * because the schema lacks them: FLUX.2 [pro]/[max] have no steps, guidance or prompt_upsampling.
 */
export function buildBflBody(input: ProviderEditInput, seed: number | undefined): Record<string, unknown> {
  const { request, offer } = input
  const body: Record<string, unknown> = { prompt: request.prompt }
  input.references.forEach((reference, index) => {
    // Raw base64, no data: prefix (docs/hosts.md, "Black Forest Labs"); extra references are input_image_2, _3, …
    body[index === 0 ? 'input_image' : `input_image_${index + 1}`] = bytesToBase64(reference.bytes)
  })
  Object.assign(body, SIZE_FIELDS[offer.schema](input))
  if (seed !== undefined) body.seed = seed
  body.output_format = request.outputFormat
  // In the host's own scale (Kontext 0–6, FLUX.2 0–5), already checked against the offer's range.
  if (offer.safetyTolerance !== null) body.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling) body.prompt_upsampling = request.promptUpsampling ?? false
  // Always sent where the model has them: BFL's [flex] defaults (OpenAPI `Flux2FlexInputs`: 50 / 5; its skills say
  // guidance 4.5) are neither agreed nor other hosts'.
  if (offer.steps !== null) body.steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) body.guidance = request.guidance ?? offer.guidance.default
  return body
}
