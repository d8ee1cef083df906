/**
 * Region edits' limits. Sizes in design pixels are in the container's coordinates at 1×; sizes in
 * render pixels are in the frame render (the container exported at `frameScale`), where the
 * composite works. Levels are 0–255 sRGB steps.
 */

/** Either side, in design pixels: a smaller area is a sliver the model sees at under 32 px even at 4×. */
export const AREA_MIN_SIDE = 8
/** Context around the area on every side: at least this many design pixels… */
export const AREA_CONTEXT_MIN_PX = 96
/**
 * …and at least this share of the area's longer side, so the crop is about one and a half times the
 * area: the model still sees the type, its background and the neighbours, and at ~1 MP it draws a
 * headline at over twice the detail a whole-frame edit gives it (a larger share would trade detail
 * for context the model does not need to change a few words).
 */
export const AREA_CONTEXT_SHARE = 0.25
/** Figma exports at most 4×; a higher crop scale would only cost upload for pixels the model then shrinks. */
export const AREA_CROP_MAX_SCALE = 4
/** The frame render's scale: 2× keeps text and vectors crisp on Retina screens once the result is placed. */
export const AREA_FRAME_SCALE = 2
/** The feather band, in render pixels: the answer fades into the frame render across it. */
export const AREA_FEATHER_PX = 4
/** Between the feather band and the ring, in render pixels: an edit often spills a little past its layers. */
export const AREA_RING_GAP_PX = 4
/** The answer is tried at integer offsets up to this many render pixels each way. */
export const AREA_MAX_OFFSET_PX = 2
/** About this many ring pixels are compared per offset: enough for a stable mean, cheap at 10 MP. */
export const AREA_RING_SAMPLES = 16_384
/** A non-zero offset must lower the ring's residual by this many levels, or noise would pick one. */
export const AREA_OFFSET_MIN_GAIN = 1
/**
 * When `drift.large` is set, so the outcome asks the designer to check the edges. Measured in
 * test/shared/area/composite-area-thresholds.test.ts on a text-dense frame: surroundings the model
 * left alone come back after its round trip (the crop at ~1 MP, then enlarged or shrunk to the
 * frame render) with a drift under 0.5 and a residual of 1.5–4 levels, 8 where a large crop is
 * enlarged 3.3× and blurs the text (10 with ±10 levels of noise on top); redrawn surroundings give
 * a residual over 40.
 * - Drift over 8 levels: a tint a designer sees between the result and its neighbours; the
 *   composite corrects it, but a model that tinted the surroundings likely tinted the edit too.
 * - Residual over 12: above an untouched ring's worst (10), far below a redrawn one's.
 * - An offset whose correction gains over 8 levels: the model moved a busy picture; lining it up
 *   by whole pixels leaves its sub-pixel part. On a frame (flat fills, sharp edges) a shift of
 *   1–2 answer pixels gains only a few levels and is lined up without a word.
 */
export const AREA_DRIFT_LARGE = 8
export const AREA_RESIDUAL_LARGE = 12
export const AREA_OFFSET_GAIN_LARGE = 8
