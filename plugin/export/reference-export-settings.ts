import { REFERENCE_MAX_LONG_SIDE, REFERENCE_MAX_UPSCALE, REFERENCE_TARGET_PIXELS } from '../../shared/limits'

/**
 * Kontext works at about one megapixel, so the reference is exported at that size: never more
 * than 1568 px on the long side, and small frames at most 2× (more would invent pixels).
 * The constraint is on the long side so the exported size is exact to the pixel.
 */
export function referenceExportSettings(
  width: number,
  height: number
): { settings: ExportSettingsImage; pixelWidth: number; pixelHeight: number } {
  const scale = Math.min(
    Math.sqrt(REFERENCE_TARGET_PIXELS / (width * height)),
    REFERENCE_MAX_LONG_SIDE / Math.max(width, height),
    REFERENCE_MAX_UPSCALE
  )
  const pixelWidth = Math.max(1, Math.round(width * scale))
  const pixelHeight = Math.max(1, Math.round(height * scale))
  const settings: ExportSettingsImage = {
    format: 'PNG',
    // Models expect sRGB; Display P3 documents would otherwise shift colours.
    colorProfile: 'SRGB',
    // The node's own box, so the result lines up with the frame (effects outside it are not edited).
    useAbsoluteBounds: true,
    constraint: width >= height ? { type: 'WIDTH', value: pixelWidth } : { type: 'HEIGHT', value: pixelHeight }
  }
  return { settings, pixelWidth, pixelHeight }
}
