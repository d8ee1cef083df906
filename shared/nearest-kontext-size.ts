import { KONTEXT_SIZES, type KontextSize } from './aspect-ratios'
import { nearestSize } from './nearest-size'

/** Nearest by the logarithm of the ratio, so 2:1 and 1:2 are equally far from 1:1. */
export function nearestKontextSize(width: number, height: number): KontextSize {
  return nearestSize(KONTEXT_SIZES, width, height)
}
