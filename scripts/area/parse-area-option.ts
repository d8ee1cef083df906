import type { AreaRect } from '../../shared/area/area-geometry'
import { AREA_MIN_SIDE } from '../../shared/area/area-limits'

/**
 * `--area x,y,width,height` in the image's pixels, checked against the image: a plain-words
 * message when it is not four numbers, reaches outside the image or is too small to edit.
 */
export function parseAreaOption(text: string, image: { width: number; height: number }): AreaRect | string {
  const parts = text.split(',').map((part) => part.trim())
  const numbers = parts.map(Number)
  if (parts.length !== 4 || parts.some((part) => part === '') || numbers.some((value) => !Number.isFinite(value))) {
    return `--area takes four numbers, x,y,width,height in the image's pixels (such as --area 120,80,400,200); got "${text}".`
  }
  const [x, y, width, height] = numbers as [number, number, number, number]
  if (width < AREA_MIN_SIDE || height < AREA_MIN_SIDE) {
    return `--area ${text} is too small to edit: make it at least ${AREA_MIN_SIDE}×${AREA_MIN_SIDE} pixels.`
  }
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    return `--area ${text} reaches outside the ${image.width}×${image.height} image.`
  }
  return { x, y, width, height }
}
