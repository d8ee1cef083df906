/** Limits every runtime agrees on. Each one is a provider or platform limit, not a taste. */
export const PROMPT_MIN_CHARS = 2
export const PROMPT_MAX_CHARS = 3000
export const MAX_VARIANTS = 4
/** Kontext [max]/[pro] take at most 4 references across hosts (BFL input_image..input_image_4). */
export const MAX_REFERENCES = 4
/** BFL documents 20 MB and 20 megapixels per input image; the relay holds every host to that. */
export const MAX_REFERENCE_BYTES = 20 * 1024 * 1024
export const MAX_REFERENCE_PIXELS = 20_000_000
/** figma.createImage rejects images larger than 4096 px on either side. */
export const FIGMA_MAX_IMAGE_SIDE = 4096
/** Kontext works at about one megapixel; larger references only cost upload time. */
export const REFERENCE_TARGET_PIXELS = 1_000_000
export const REFERENCE_MAX_LONG_SIDE = 1568
export const REFERENCE_MAX_UPSCALE = 2
export const SEED_MAX = 4_294_967_295
export const SAFETY_TOLERANCE_MAX = 6
