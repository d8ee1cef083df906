import { AppError } from '../../../shared/errors'
import type { EditRequest } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'
import type { VariantCall } from '../shared/run-variants-async'

/**
 * Settings fal's [klein] schema has no field for, so a request asking for one is refused, never
 * sent nor dropped unsaid. The catalogue's offer has none of them, so only an offer override
 * reaches here with one set.
 */
const NO_FIELD_FOR: ReadonlyArray<{ asked: (request: EditRequest) => boolean; setting: string }> = [
  { asked: (request) => request.promptUpsampling === true, setting: 'promptUpsampling' },
  { asked: (request) => request.safetyTolerance !== undefined, setting: 'safetyTolerance' },
  { asked: (request) => request.guidance !== undefined, setting: 'guidance' },
  { asked: (request) => request.outputQuality !== undefined, setting: 'outputQuality' }
]

/**
 * fal's [klein] edit schema (fal-js `libs/client/src/types/endpoints.ts`: `Flux2Klein4bEditInput`,
 * which `Flux2Klein9bEditInput` is). Unlike FLUX.2's partner edits it is fal's own: `num_images`
 * (so one request makes every variant), `num_inference_steps` (always sent: the catalogue's default
 * is the relay's, not fal's), `enable_safety_checker`, png|jpeg|webp. It has no `safety_tolerance`,
 * `guidance_scale` or prompt expansion. `image_size` goes out as the planned `{width, height}`:
 * left out, fal would use the input's size, which may pass the 4 MP the price was planned on.
 */
export function buildFalKleinInput(
  input: ProviderEditInput,
  call: Pick<VariantCall, 'count' | 'seed'>,
  images: readonly string[]
): Record<string, unknown> {
  const { request, offer, size } = input
  const unsupported = NO_FIELD_FOR.find(({ asked }) => asked(request))
  if (unsupported !== undefined)
    throw new AppError('invalid_request', `fal’s FLUX.2 [klein] edit has no ${unsupported.setting} setting; leave it out.`)
  const body: Record<string, unknown> = {
    prompt: request.prompt,
    image_urls: [...images],
    image_size: { width: size.width, height: size.height }
  }
  if (offer.steps !== null) body.num_inference_steps = request.steps ?? offer.steps.default
  body.num_images = call.count
  body.output_format = request.outputFormat
  // The relay has no setting to turn fal's checker off: sent so a change of fal's default cannot.
  body.enable_safety_checker = true
  if (call.seed !== undefined) body.seed = call.seed
  return body
}
