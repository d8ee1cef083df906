import { PNG } from 'pngjs'
import type { AreaGeometry } from '../../shared/area/area-geometry'
import { AREA_FEATHER_PX } from '../../shared/area/area-limits'
import { areaPixelRects } from '../../shared/area/area-pixel-rects'
import type { PixelRect } from '../../shared/area/rgba-image'

export interface Pixels {
  data: Uint8Array
  width: number
  height: number
}

export function decodePng(bytes: Uint8Array): Pixels {
  const png = PNG.sync.read(Buffer.from(bytes))
  return { data: new Uint8Array(png.data), width: png.width, height: png.height }
}

/** The area in the frame render, and the area with its feather band: outside the band nothing may change. */
export function areaInRender(geometry: AreaGeometry, render: { width: number; height: number }): { area: PixelRect; band: PixelRect } {
  const { crop, areaInCrop } = areaPixelRects(geometry, render)
  const area = { x: crop.x + areaInCrop.x, y: crop.y + areaInCrop.y, width: areaInCrop.width, height: areaInCrop.height }
  const x = Math.max(0, area.x - AREA_FEATHER_PX)
  const y = Math.max(0, area.y - AREA_FEATHER_PX)
  const right = Math.min(render.width, area.x + area.width + AREA_FEATHER_PX)
  const bottom = Math.min(render.height, area.y + area.height + AREA_FEATHER_PX)
  return { area, band: { x, y, width: right - x, height: bottom - y } }
}

const inside = (rect: PixelRect, x: number, y: number): boolean =>
  x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height

/** Pixels outside `band` whose four channels are the same in both images. */
export function unchangedOutside(result: Pixels, frame: Pixels, band: PixelRect): { same: number; total: number } {
  let same = 0
  let total = 0
  for (let y = 0; y < result.height; y += 1) {
    for (let x = 0; x < result.width; x += 1) {
      if (inside(band, x, y)) continue
      total += 1
      const i = (y * result.width + x) * 4
      if ([0, 1, 2, 3].every((channel) => result.data[i + channel] === frame.data[i + channel])) same += 1
    }
  }
  return { same, total }
}

/**
 * The largest step between neighbouring pixels of the result across the area's border (from one
 * pixel inside the area to one pixel past the feather band, on all four sides), counted only where
 * the frame itself is the flat background at both pixels: a seam would show there.
 */
export function borderStep(result: Pixels, frame: Pixels, area: PixelRect, band: PixelRect): { max: number; pairs: number } {
  const background = [frame.data[0]!, frame.data[1]!, frame.data[2]!]
  const flat = (x: number, y: number): boolean => {
    const i = (y * frame.width + x) * 4
    return background.every((value, channel) => frame.data[i + channel] === value)
  }
  let max = 0
  let pairs = 0
  const compare = (x1: number, y1: number, x2: number, y2: number): void => {
    if (!flat(x1, y1) || !flat(x2, y2)) return
    pairs += 1
    const [i, j] = [(y1 * result.width + x1) * 4, (y2 * result.width + x2) * 4]
    for (let channel = 0; channel < 3; channel += 1) max = Math.max(max, Math.abs(result.data[i + channel]! - result.data[j + channel]!))
  }
  const [left, right] = [Math.max(0, band.x - 1), Math.min(result.width - 1, band.x + band.width)]
  const [top, bottom] = [Math.max(0, band.y - 1), Math.min(result.height - 1, band.y + band.height)]
  for (let y = area.y; y < area.y + area.height; y += 1) {
    for (let x = left; x < area.x; x += 1) compare(x, y, x + 1, y)
    for (let x = area.x + area.width - 1; x < right; x += 1) compare(x, y, x + 1, y)
  }
  for (let x = area.x; x < area.x + area.width; x += 1) {
    for (let y = top; y < area.y; y += 1) compare(x, y, x, y + 1)
    for (let y = area.y + area.height - 1; y < bottom; y += 1) compare(x, y, x, y + 1)
  }
  return { max, pairs }
}

/** Pixels inside the area whose colour is near `ink`: the edit's change shows there. */
export function inkPixels(result: Pixels, area: PixelRect, ink: readonly [number, number, number], tolerance = 24): number {
  let count = 0
  for (let y = area.y; y < area.y + area.height; y += 1) {
    for (let x = area.x; x < area.x + area.width; x += 1) {
      const i = (y * result.width + x) * 4
      if (ink.every((value, channel) => Math.abs(result.data[i + channel]! - value) <= tolerance)) count += 1
    }
  }
  return count
}
