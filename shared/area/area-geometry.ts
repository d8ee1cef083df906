import * as z from 'zod/mini'

/**
 * Region edits ("This area only"): the geometry every runtime agrees on. Rectangles are in the
 * container's own coordinates at 1× (design pixels, origin at the container's top-left corner);
 * the container is the top-level frame, section, component or instance the selected layers sit in.
 */
export const AreaRect = z.object({
  // zod's number refuses NaN and ±Infinity by itself: every coordinate is finite.
  x: z.number(),
  y: z.number(),
  width: z.number().check(z.positive()),
  height: z.number().check(z.positive())
})
export type AreaRect = z.infer<typeof AreaRect>

/** What the sandbox offers when the selection sits inside a container: the panel shows its label. */
export const AreaOffer = z.object({
  containerId: z.string(),
  containerName: z.string(),
  /** The container's size at 1× (its axis-aligned box on the page). */
  containerWidth: z.number().check(z.positive()),
  containerHeight: z.number().check(z.positive()),
  /** The selected layers, in selection order. */
  nodeIds: z.array(z.string()).check(z.minLength(1)),
  /** “Spring Sale” in “Hero”, or 3 layers in “Hero”. */
  label: z.string(),
  /** The union of what is visible of the selected layers, clipped to the container. */
  rect: AreaRect,
  /** Why this area cannot be edited on its own, in plain words (the panel then offers the whole frame only). */
  problem: z.optional(z.string()),
  /** Why the whole frame is the better choice (the area covers nearly all of it); the panel says so. */
  wholeFrameNote: z.optional(z.string())
})
export type AreaOffer = z.infer<typeof AreaOffer>

/** Where the model's crop and the full-resolution frame render sit, and at which scales. */
export const AreaGeometry = z.object({
  containerWidth: z.number().check(z.positive()),
  containerHeight: z.number().check(z.positive()),
  area: AreaRect,
  /** The area grown by context and to the model's output aspect ratio, clamped to the container. */
  crop: AreaRect,
  /** The crop's export scale (about one megapixel). */
  cropScale: z.number().check(z.positive()),
  /** The frame render's scale: 2×, lower when the long side would pass 4096 px. */
  frameScale: z.number().check(z.positive())
})
export type AreaGeometry = z.infer<typeof AreaGeometry>

/** The model's colour drift on the ring around the area (answer minus frame render, 0–255 levels). */
export const AreaDrift = z.object({
  r: z.number(),
  g: z.number(),
  b: z.number(),
  /** Mean absolute difference left on the ring after the drift is corrected (0–255). */
  residual: z.number().check(z.nonnegative()),
  /** The answer's offset that best lines it up with the frame render, in frame-render pixels. */
  offsetX: z.number(),
  offsetY: z.number(),
  /** The model also changed the surroundings: the outcome asks the designer to check the edges. */
  large: z.boolean()
})
export type AreaDrift = z.infer<typeof AreaDrift>

/** Stored in a region edit's provenance: enough to run the same area again. */
export const AreaProvenance = z.object({
  containerId: z.string(),
  nodeIds: z.array(z.string()).check(z.minLength(1)),
  label: z.string(),
  geometry: AreaGeometry,
  drift: z.optional(AreaDrift)
})
export type AreaProvenance = z.infer<typeof AreaProvenance>
