import type { OutputFormat } from '../../../shared/relay-api'
import type { ProviderEditInput } from '../provider'
import { REPLICATE_INPUT_SCHEMAS } from './replicate-input-schemas'
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
 * The body of one prediction, with `seed` (the variant engine's, per call). The offer's `schema`
 * says where the references and the size go (replicate-input-schemas.ts): Kontext's one image, or
 * its multi-image app's numbered ones, and a ratio name; FLUX.2's `input_images` list and width ×
 * height; [klein]'s `images` list, a shape and a megapixel option. `images` are the references as
 * Replicate takes them: data URIs or uploaded files' URLs.
 * Which other fields go out is decided by the offer's capabilities (a null range: the model has no
 * such field), never by the model id; where the offer has a setting it is always sent, since
 * Replicate's defaults differ from the relay's (FLUX.2 [flex]: 30 steps, guidance 4.5, upsampling on).
 */
export function buildReplicateCall(input: ProviderEditInput, seed: number | undefined, images: readonly string[]): ReplicateCall {
  const { request, offer } = input
  const model = replicateModelOf(input)
  const schema = REPLICATE_INPUT_SCHEMAS[offer.schema]
  const multi = schema.multiModel && images.length > 1
  const fields: Record<string, unknown> = { prompt: request.prompt, ...schema.imageFields(images), ...schema.sizeFields(input) }
  if (seed !== undefined) fields.seed = seed
  fields.output_format = OUTPUT_FORMATS[request.outputFormat]
  // BFL's Kontext cap of 2 with an input image is the catalogue's range max, checked by the relay.
  if (offer.safetyTolerance !== null) fields.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling && !multi) fields.prompt_upsampling = request.promptUpsampling ?? false
  // [klein]'s schema has no steps field (its catalogue steps are null): an override adding steps
  // is not sent to a field the host does not have.
  if (offer.steps !== null && schema.stepsField !== undefined) fields[schema.stepsField] = request.steps ?? offer.steps.default
  if (offer.guidance !== null) fields.guidance = request.guidance ?? offer.guidance.default
  if (offer.outputQuality !== null) fields.output_quality = request.outputQuality ?? offer.outputQuality.default
  return { model, body: { input: fields }, seed }
}
