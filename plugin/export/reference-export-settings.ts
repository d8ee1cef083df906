import { referenceSize, type ReferenceTarget } from '../../shared/reference-target'

/**
 * The reference is exported at the size the model makes use of (shared/reference-target.ts): about
 * one megapixel for Kontext, up to 4 MP for FLUX.2, never more than 2× the frame. The constraint is
 * on the long side so the exported size is exact to the pixel.
 */
export function referenceExportSettings(
  width: number,
  height: number,
  target: ReferenceTarget
): { settings: ExportSettingsImage; pixelWidth: number; pixelHeight: number } {
  const { width: pixelWidth, height: pixelHeight } = referenceSize({ width, height }, target)
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
