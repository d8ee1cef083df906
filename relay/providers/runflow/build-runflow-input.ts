import { AppError } from '../../../shared/errors'
import type { InputSchema } from '../../../shared/models'
import type { OutputFormat } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'

type BuildInput = Pick<ProviderEditInput, 'request' | 'offer' | 'aspectRatio' | 'size'>
type Builder = (input: BuildInput, images: readonly string[], numImages: number) => Record<string, unknown>

/** Relay 0…6 → Runflow's string "1"…"6" (0 clamps to "1", the strictest; fal's schema, docs.runflow.io model page). */
function safetyString(value: number): string {
  return String(Math.min(6, Math.max(1, Math.round(value))))
}

/** The output format, where the offer lists it (the relay has checked it against the offer already). */
function formatOf({ request, offer }: BuildInput): OutputFormat {
  if (!offer.outputFormats.includes(request.outputFormat))
    throw new AppError('invalid_request', `Runflow returns ${offer.outputFormats.join(' or ')} here, not ${request.outputFormat}.`)
  return request.outputFormat
}

/**
 * fal's Kontext schema (docs.runflow.io model page for `black-forest-labs/flux-pro/kontext`), from
 * the offer's data: `guidance_scale`, `safety_tolerance` and `enhance_prompt` only where the offer
 * has them, with its defaults where the client set none; `image_urls[]` on the multi-reference
 * model, `image_url` on the single one.
 */
const kontextInput: Builder = (input, images, numImages) => {
  const { request, offer } = input
  const body: Record<string, unknown> = { prompt: request.prompt }
  if (images.length > 1) body.image_urls = [...images]
  else body.image_url = images[0]
  body.aspect_ratio = input.aspectRatio
  body.num_images = numImages
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  body.output_format = formatOf(input)
  if (offer.safetyTolerance !== null) body.safety_tolerance = safetyString(request.safetyTolerance ?? offer.safetyTolerance.default)
  if (offer.promptUpsampling) body.enhance_prompt = request.promptUpsampling ?? false
  return body
}

/**
 * fal's [klein] edit schema, as Runflow serves it (docs.runflow.io `flux-2-klein-9b/edit`; fal-js
 * `Flux2Klein4bEditInput`): `image_urls` always, `image_size` as the planned `{width, height}` (left
 * out, the input's size is used, which may pass the 4 MP the price was planned on),
 * `num_inference_steps` always (the relay's default, not the host's), `enable_safety_checker` sent
 * as true so a change of the host's default cannot turn it off. No safety_tolerance, guidance or
 * prompt expansion: the klein offer has none, so none is sent.
 */
const kleinInput: Builder = (input, images, numImages) => {
  const { request, offer, size } = input
  const body: Record<string, unknown> = {
    prompt: request.prompt,
    image_urls: [...images],
    image_size: { width: size.width, height: size.height }
  }
  if (offer.steps !== null) body.num_inference_steps = request.steps ?? offer.steps.default
  body.num_images = numImages
  body.output_format = formatOf(input)
  body.enable_safety_checker = true
  return body
}

/** Runflow serves no FLUX.2 [pro]/[flex]/[max] edit the relay could name (no edit path documented). */
const noRunflowInput: Builder = (input) => {
  throw new AppError('internal', undefined, { detail: `runflow has no ${input.offer.schema} input (${input.offer.hostModelId})` })
}

/** How each of the catalogue's input schemas becomes Runflow's run input. */
const BUILDERS: Record<InputSchema, Builder> = {
  kontext: kontextInput,
  flux2: noRunflowInput,
  'flux2-klein': kleinInput
}

/** The run input for `offer.schema`, with the seed and `sync_mode` every schema here takes. */
export function buildRunflowInput(
  input: BuildInput,
  images: readonly string[],
  numImages: number,
  seed: number | undefined
): Record<string, unknown> {
  const body = BUILDERS[input.offer.schema](input, images, numImages)
  if (seed !== undefined) body.seed = seed
  // Results come back as presigned URLs (downloaded at once), not as data URIs in every poll.
  body.sync_mode = false
  return body
}
