import { bytesToBase64 } from '../../images/bytes-to-base64'
import type { ProviderEditInput } from '../provider'

/** The body of one submission: the documented fields (BFL's OpenAPI `FluxKontextProInputs`), all explicit, as sources disagree on defaults. */
export function buildBflBody(input: ProviderEditInput, seed: number | undefined): Record<string, unknown> {
  const { request, offer } = input
  const body: Record<string, unknown> = { prompt: request.prompt }
  input.references.forEach((reference, index) => {
    // Raw base64, no data: prefix (docs/hosts.md, "Black Forest Labs"); extra references are input_image_2, _3, …
    body[index === 0 ? 'input_image' : `input_image_${index + 1}`] = bytesToBase64(reference.bytes)
  })
  body.aspect_ratio = input.aspectRatio
  if (seed !== undefined) body.seed = seed
  body.output_format = request.outputFormat
  if (offer.safetyTolerance !== null) body.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling) body.prompt_upsampling = request.promptUpsampling ?? false
  return body
}
