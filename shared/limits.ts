import type { ModelId } from './models'

/** Limits every runtime agrees on. Each one is a provider or platform limit, not a taste. */
export const PROMPT_MIN_CHARS = 2
export const PROMPT_MAX_CHARS = 3000
export const MAX_VARIANTS = 4
/** FLUX.2 takes at most 8 references on BFL (input_image … input_image_8); each host's offer may allow fewer. */
export const MAX_REFERENCES = 8
/** BFL documents 20 MB and 20 megapixels per input image; the relay holds every host to that. */
export const MAX_REFERENCE_BYTES = 20 * 1024 * 1024
export const MAX_REFERENCE_PIXELS = 20_000_000
/** figma.createImage rejects images larger than 4096 px on either side. */
export const FIGMA_MAX_IMAGE_SIDE = 4096
/**
 * The largest result the relay keeps: Figma's side limit, and at most 4096×4096 pixels in all, so a
 * small file that claims a huge image (a decompression bomb) is refused before anyone decodes it.
 */
export const MAX_RESULT_PIXELS = FIGMA_MAX_IMAGE_SIDE * FIGMA_MAX_IMAGE_SIDE
/**
 * The largest reference each model can use, in pixels. FLUX.1 Kontext works at about one megapixel
 * and every host scales a larger input down (Runware keeps at most 2048 px on the long side; BFL's
 * Kontext pages accept up to 20 MP but generate at ~1 MP; Runflow fails runs over 4096×4096: see
 * docs/hosts.md). 2048×2048 is four times what the plugin sends (≤ ~1.05 MP), so only uploads that
 * would cost memory and upload time for nothing are refused. A model that uses more (FLUX.2) gets
 * its own entry here.
 */
export const MAX_REFERENCE_PIXELS_BY_MODEL: Readonly<Record<ModelId, number>> = {
  'kontext-max': 2048 * 2048,
  'kontext-pro': 2048 * 2048,
  'kontext-dev': 2048 * 2048,
  // FLUX.2 uses references up to its 4 MP output; BFL's [pro] takes 9 MP of input in all (docs/flux2.md, §0).
  'flux2-flex': 9_000_000,
  'flux2-pro': 9_000_000,
  'flux2-max': 9_000_000,
  'flux2-dev': 9_000_000,
  'flux2-klein-4b': 9_000_000,
  'flux2-klein-9b': 9_000_000
}
/** Kontext works at about one megapixel; larger references only cost upload time. */
export const REFERENCE_TARGET_PIXELS = 1_000_000
/** Kontext documents no total for its references: four of the largest the relay takes. */
export const KONTEXT_MAX_INPUT_PIXELS = 4 * 2048 * 2048
export const REFERENCE_MAX_LONG_SIDE = 1568
export const REFERENCE_MAX_UPSCALE = 2
export const SEED_MAX = 4_294_967_295
export const SAFETY_TOLERANCE_MAX = 6
