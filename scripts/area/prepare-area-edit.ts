import type { AreaRect } from '../../shared/area/area-geometry'
import { areaPixelRects } from '../../shared/area/area-pixel-rects'
import { cropRgba } from '../../shared/area/crop-rgba'
import { planAreaGeometry } from '../../shared/area/plan-area-geometry'
import { resampleRgba } from '../../shared/area/resample-rgba'
import type { PixelRect, RgbaImage } from '../../shared/area/rgba-image'
import type { KontextSizeSpec } from '../../shared/aspect-ratios'
import type { ReferenceTarget } from '../../shared/reference-target'
import { encodePngRgba } from './encode-png-rgba'

/** A region edit from the command line: the full image, where the crop and the area are, and the crop for the model. */
export interface AreaEdit {
  readonly frame: RgbaImage
  readonly crop: PixelRect
  readonly areaInCrop: PixelRect
  /** The crop as a PNG at the model's reference size (shrunk when larger, never enlarged). */
  readonly reference: Uint8Array
}

/**
 * The image is the frame at full resolution (the container, at 1×), so the crop is cut from it
 * rather than exported: the same geometry as the plugin's, with the image as the frame render.
 */
export function prepareAreaEdit(
  frame: RgbaImage,
  area: AreaRect,
  outputSizes: readonly KontextSizeSpec[],
  target: ReferenceTarget
): AreaEdit {
  const { geometry } = planAreaGeometry(area, frame, outputSizes, target)
  const { crop, areaInCrop } = areaPixelRects(geometry, frame)
  const pixels = cropRgba(frame, crop)
  const scale = Math.min(1, geometry.cropScale)
  const width = Math.max(1, Math.round(crop.width * scale))
  const height = Math.max(1, Math.round(crop.height * scale))
  const reference = encodePngRgba(scale < 1 ? resampleRgba(pixels, width, height) : pixels)
  return { frame, crop, areaInCrop, reference }
}
