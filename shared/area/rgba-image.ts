/**
 * Pixels as every runtime holds them: RGBA, 8 bits a channel, not premultiplied, rows top to
 * bottom. The shape of the DOM's ImageData, so the panel passes a canvas's pixels as they are; the
 * sandbox and the CLI, which have no ImageData, build the same object.
 */
export interface RgbaImage {
  readonly data: Uint8ClampedArray
  readonly width: number
  readonly height: number
}

/** A rectangle of whole pixels. */
export interface PixelRect {
  x: number
  y: number
  width: number
  height: number
}
