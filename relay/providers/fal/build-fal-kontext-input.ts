import type { ProviderEditInput } from '../provider'
import type { VariantCall } from '../shared/run-variants-async'

/**
 * fal's Kontext schemas (fal-js `libs/client/src/types/endpoints.ts`): `FluxKontextInput` and
 * `FluxKontextMultiInput` (pro/max: `aspect_ratio`, `safety_tolerance`, `enhance_prompt`) and
 * `DevKontextEditInput` for `fal-ai/flux-kontext/dev` (`num_inference_steps`, `resolution_mode`,
 * no `enhance_prompt`). The offer's capabilities say which fields apply; a model with a steps
 * setting takes the dev schema, whose ratio field is `resolution_mode`.
 */
export function buildFalKontextInput(
  input: ProviderEditInput,
  call: Pick<VariantCall, 'count' | 'seed'>,
  images: readonly string[]
): Record<string, unknown> {
  const { request, offer } = input
  const body: Record<string, unknown> = { prompt: request.prompt }
  if (images.length > 1) body.image_urls = images
  else body.image_url = images[0]
  if (offer.steps === null) body.aspect_ratio = input.aspectRatio
  else body.resolution_mode = input.aspectRatio
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  if (offer.steps !== null) body.num_inference_steps = request.steps ?? offer.steps.default
  body.num_images = call.count
  body.output_format = request.outputFormat
  if (offer.safetyTolerance !== null) {
    // fal's scale is the string "1" (strictest) … "6"; the relay's 0 has no match, so it is "1".
    const tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
    body.safety_tolerance = String(Math.min(6, Math.max(1, Math.round(tolerance))))
  }
  if (offer.promptUpsampling) body.enhance_prompt = request.promptUpsampling ?? false
  if (call.seed !== undefined) body.seed = call.seed
  return body
}
