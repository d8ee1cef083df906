import { AppError } from '../../../shared/errors'
import type { OutputFormat } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'

const OUTPUT_FORMATS: Partial<Record<OutputFormat, 'png' | 'jpeg'>> = { png: 'png', jpeg: 'jpeg' }

/** Relay 0…6 → Runflow's string "1"…"6" (0 clamps to "1", the strictest; fal's schema, docs.runflow.io model page). */
function safetyString(value: number): string {
  return String(Math.min(6, Math.max(1, Math.round(value))))
}

/**
 * The run input: fal's Kontext schema (docs.runflow.io model page for
 * `black-forest-labs/flux-pro/kontext`), from the offer's data: `guidance_scale`,
 * `safety_tolerance` and `enhance_prompt` only where the offer has them, with its defaults where the
 * client set none; `image_urls[]` on the multi-reference model, `image_url` on the single one.
 */
export function buildRunflowInput(
  input: Pick<ProviderEditInput, 'request' | 'offer' | 'aspectRatio'>,
  images: readonly string[],
  numImages: number,
  seed: number | undefined
): Record<string, unknown> {
  const { request, offer } = input
  const format = OUTPUT_FORMATS[request.outputFormat]
  if (format === undefined) throw new AppError('invalid_request', `Runflow returns png or jpeg, not ${request.outputFormat}.`)
  const body: Record<string, unknown> = { prompt: request.prompt }
  if (images.length > 1) body.image_urls = [...images]
  else body.image_url = images[0]
  body.aspect_ratio = input.aspectRatio
  body.num_images = numImages
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  body.output_format = format
  if (offer.safetyTolerance !== null) body.safety_tolerance = safetyString(request.safetyTolerance ?? offer.safetyTolerance.default)
  if (offer.promptUpsampling) body.enhance_prompt = request.promptUpsampling ?? false
  if (seed !== undefined) body.seed = seed
  // Results come back as presigned URLs (downloaded at once), not as data URIs in every poll.
  body.sync_mode = false
  return body
}
