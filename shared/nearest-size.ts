import type { KontextSizeSpec } from './aspect-ratios'

/** The size in `sizes` nearest to a width/height ratio. */
export function nearestSize<S extends KontextSizeSpec>(sizes: readonly S[], width: number, height: number): S {
  const target = Math.log(width / height)
  let best = sizes[0]!
  for (const size of sizes) {
    if (Math.abs(Math.log(size.width / size.height) - target) < Math.abs(Math.log(best.width / best.height) - target)) best = size
  }
  return best
}
