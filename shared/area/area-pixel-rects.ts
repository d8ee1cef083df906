import type { AreaGeometry } from './area-geometry'
import type { PixelRect } from './rgba-image'

interface Span {
  start: number
  end: number
}

/** At least one pixel, within `within`. */
function clampSpan(start: number, end: number, within: Span): Span {
  const from = Math.min(Math.max(within.start, start), within.end - 1)
  return { start: from, end: Math.min(Math.max(from + 1, end), within.end) }
}

function cropAndArea(crop: Span, area: Span, scale: number, limit: number): { crop: Span; area: Span } {
  // The crop's edges round to the nearest render pixel, as the crop's own export does; the area
  // grows outward so none of it is left to the frame render.
  const cropSpan = clampSpan(Math.round(crop.start * scale), Math.round(crop.end * scale), { start: 0, end: limit })
  return { crop: cropSpan, area: clampSpan(Math.floor(area.start * scale), Math.ceil(area.end * scale), cropSpan) }
}

/**
 * The crop in frame-render pixels and the area inside it. The scale is the render's own size over
 * the container's: Figma rounds an export's size, so it can differ a little from frameScale.
 */
export function areaPixelRects(
  geometry: AreaGeometry,
  render: { width: number; height: number }
): { crop: PixelRect; areaInCrop: PixelRect } {
  const { area, crop } = geometry
  const x = cropAndArea(
    { start: crop.x, end: crop.x + crop.width },
    { start: area.x, end: area.x + area.width },
    render.width / geometry.containerWidth,
    render.width
  )
  const y = cropAndArea(
    { start: crop.y, end: crop.y + crop.height },
    { start: area.y, end: area.y + area.height },
    render.height / geometry.containerHeight,
    render.height
  )
  return {
    crop: { x: x.crop.start, y: y.crop.start, width: x.crop.end - x.crop.start, height: y.crop.end - y.crop.start },
    areaInCrop: {
      x: x.area.start - x.crop.start,
      y: y.area.start - y.crop.start,
      width: x.area.end - x.area.start,
      height: y.area.end - y.area.start
    }
  }
}
