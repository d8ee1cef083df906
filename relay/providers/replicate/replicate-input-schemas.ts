import type { InputSchema } from '../../../shared/models'
import type { ProviderEditInput } from '../provider'
import { kleinRefusal, kleinSizeFields } from './klein-size-fields'

/** How one of Replicate's input schemas (the offer's `schema`) takes the references, the size and the steps. */
export interface ReplicateInputSchema {
  /** Whether several references go to `offer.multiHostModelId`, another model, rather than to the model itself. */
  readonly multiModel: boolean
  /** The fields that carry `images`, the references as Replicate takes them. */
  imageFields(images: readonly string[]): Record<string, unknown>
  /** The fields that set the output's shape. */
  sizeFields(input: ProviderEditInput): Record<string, unknown>
  /** The name of the steps field; undefined where the schema has none (and so the offer none). */
  readonly stepsField: string | undefined
  /** Why the schema cannot take this edit, or undefined; checked before anything is uploaded. */
  refusal(input: ProviderEditInput): string | undefined
}

/**
 * Kontext (flux-kontext-* and flux-kontext-apps/multi-image-kontext-* API pages): one
 * `input_image`, or `input_image_1`, `_2` on the multi-image app; one of the ratio names.
 */
const KONTEXT: ReplicateInputSchema = {
  multiModel: true,
  imageFields(images) {
    if (images.length === 1) return { input_image: images[0] }
    return Object.fromEntries(images.map((image, index) => [`input_image_${index + 1}`, image]))
  },
  sizeFields: (input) => ({ aspect_ratio: input.aspectRatio }),
  stepsField: 'num_inference_steps',
  refusal: () => undefined
}

/**
 * FLUX.2 (flux-2-pro 285631b5 and flux-2-max 9c23b0aa API pages; flux-2-flex from mirrors of its
 * schema): every reference in one `input_images` list to the same model. `aspect_ratio` defaults
 * to "1:1", so the frame's shape is sent: `custom` with the relay's width and height, which the
 * host uses only with `custom` (and then ignores `resolution`). Not `match_input_image`: its size
 * is the host's own choice (clamped to 0.5–4 MP, rounding undocumented), so the relay could not
 * know the size it prices and reports, nor follow a ratio the designer chose.
 */
const FLUX2: ReplicateInputSchema = {
  multiModel: false,
  imageFields: (images) => ({ input_images: [...images] }),
  sizeFields: (input) => ({ aspect_ratio: 'custom', width: input.size.width, height: input.size.height }),
  stepsField: 'steps',
  refusal: () => undefined
}

/**
 * FLUX.2 [klein] (flux-2-klein-4b 8e9c42d7 API page): every reference in one `images` list (not
 * `input_images`) to the same model, and no width, height or steps: the shape and the megapixels go
 * out instead, and the host picks the sides (klein-size-fields.ts). Its answer is a list of URIs.
 */
const KLEIN: ReplicateInputSchema = {
  multiModel: false,
  imageFields: (images) => ({ images: [...images] }),
  sizeFields: kleinSizeFields,
  stepsField: undefined,
  refusal: kleinRefusal
}

export const REPLICATE_INPUT_SCHEMAS: Readonly<Record<InputSchema, ReplicateInputSchema>> = {
  kontext: KONTEXT,
  flux2: FLUX2,
  'flux2-klein': KLEIN
}
