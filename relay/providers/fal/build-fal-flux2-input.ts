import { AppError } from '../../../shared/errors'
import type { ProviderEditInput } from '../provider'
import type { VariantCall } from '../shared/run-variants-async'

/** `safety_tolerance` on fal's FLUX.2 edits: the strings "1" (strictest) … "5" (fal-js `Flux2MaxEditInput`). */
const SAFETY_TOLERANCES = new Set(['1', '2', '3', '4', '5'])

/**
 * fal's FLUX.2 edit schema (fal-js `libs/client/src/types/endpoints.ts`: `Flux2FlexEditInput`, and
 * `Flux2MaxEditInput`, which `Flux2ProEditInput` is): `image_urls` even for one reference,
 * `image_size` as `{width, height}`, `safety_tolerance` a string in fal's own 1–5 (the offer's range
 * is that scale), and one image a request. It has no `num_images`, `aspect_ratio` or
 * `enhance_prompt`, so Kontext's prompt upsampling has nothing to map to. [flex]'s
 * `num_inference_steps` and `guidance_scale` always go out: fal's defaults (28, 3.5) are not BFL's.
 */
export function buildFalFlux2Input(
  input: ProviderEditInput,
  call: Pick<VariantCall, 'seed'>,
  images: readonly string[]
): Record<string, unknown> {
  const { request, offer, size } = input
  // Reachable only through an offer override: a setting asked for is never dropped unsaid.
  if (request.promptUpsampling === true)
    throw new AppError('invalid_request', 'fal’s FLUX.2 edit cannot expand the prompt; leave promptUpsampling out.')
  const body: Record<string, unknown> = {
    prompt: request.prompt,
    image_urls: [...images],
    image_size: { width: size.width, height: size.height }
  }
  if (offer.steps !== null) body.num_inference_steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  body.output_format = request.outputFormat
  if (offer.safetyTolerance !== null) {
    const tolerance = String(request.safetyTolerance ?? offer.safetyTolerance.default)
    if (!SAFETY_TOLERANCES.has(tolerance)) throw new AppError('invalid_request', 'safetyTolerance must be from 1 to 5 on fal’s FLUX.2.')
    body.safety_tolerance = tolerance
  }
  if (call.seed !== undefined) body.seed = call.seed
  return body
}
