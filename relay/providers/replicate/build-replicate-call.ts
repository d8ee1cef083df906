import type { OutputFormat } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'
import { replicateModelOf } from './replicate-model-of'

const OUTPUT_FORMATS: Record<OutputFormat, 'png' | 'jpg' | 'webp'> = { png: 'png', jpeg: 'jpg', webp: 'webp' }

/** What one prediction request becomes on the wire. */
export interface ReplicateCall {
  /** `owner/name`, from the offer. */
  model: string
  body: { input: Record<string, unknown> }
  /** The seed sent, when the client gave one. */
  seed: number | undefined
}

/**
 * The body of one prediction, with `seed` (the variant engine's, per call). One reference goes to
 * the offer's model as `input_image`; several go to `offer.multiHostModelId` as `input_image_1`,
 * `_2`, …. `images` are the references as Replicate takes them: data URIs or uploaded files' URLs.
 * Which fields go out is decided by the offer's capabilities (a null range: the model has no such
 * field), never by the model id.
 */
export function buildReplicateCall(input: ProviderEditInput, seed: number | undefined, images: readonly string[]): ReplicateCall {
  const { request, offer } = input
  const model = replicateModelOf(input)
  const multi = images.length > 1
  const fields: Record<string, unknown> = { prompt: request.prompt }
  if (multi) images.forEach((image, index) => (fields[`input_image_${index + 1}`] = image))
  else if (images[0] !== undefined) fields.input_image = images[0]
  fields.aspect_ratio = input.aspectRatio
  if (seed !== undefined) fields.seed = seed
  fields.output_format = OUTPUT_FORMATS[request.outputFormat]
  // BFL's limit of 2 with an input image is the catalogue's range max, checked by the relay.
  if (offer.safetyTolerance !== null) fields.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling && !multi) fields.prompt_upsampling = request.promptUpsampling ?? false
  if (offer.steps !== null) fields.num_inference_steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) fields.guidance = request.guidance ?? offer.guidance.default
  if (offer.outputQuality !== null) fields.output_quality = request.outputQuality ?? offer.outputQuality.default
  return { model, body: { input: fields }, seed }
}
