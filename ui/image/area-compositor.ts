import type { AreaDrift, AreaGeometry } from '../../shared/area/area-geometry'
import type { ImageContentType } from '../../shared/relay-api'

/** A PNG and its pixel size. */
export interface PngImage {
  png: Uint8Array
  width: number
  height: number
}

/** The model's answer for the crop, at the size the host made it. */
export interface AreaAnswer {
  bytes: Uint8Array
  contentType: ImageContentType
}

export interface AreaComposite {
  /** The frame render with only the area (and its feather band) replaced: what is placed. */
  image: PngImage
  drift: AreaDrift
  /** The area with a small margin, before and after, at the frame render's resolution: for the outcome's comparison. */
  before: PngImage
  after: PngImage
}

/** One frame render, decoded once and blended with each answer in turn. */
export interface PreparedComposite {
  /** Blends `answer` into the frame render inside the area; answers are taken one at a time. */
  compositeAsync(answer: AreaAnswer): Promise<AreaComposite>
  /** Frees the decoded frame once every answer is blended. */
  close(): void
}

/**
 * Starts decoding the frame render (the container at geometry.frameScale) at once, so it is ready
 * when the model answers seconds later. The panel does it with a canvas
 * (prepare-composite-on-canvas.ts); tests pass their own.
 */
export type AreaCompositor = (frame: PngImage, geometry: AreaGeometry) => PreparedComposite
