import type { KontextSizeSpec } from './aspect-ratios'
import type { OutputSizes } from './models'
import { nearestSize } from './nearest-size'

/**
 * The size a model is asked for: with a fixed list, the listed size nearest to `aspect`'s ratio;
 * with free sizes, `aspect`'s ratio at `pixels` (the reference's own, which the plugin exports at
 * no more than the frame at 2×), within the model's budget and sides, on its grid, never over.
 */
export function outputSizeFor(output: OutputSizes, aspect: KontextSizeSpec, pixels: number): KontextSizeSpec {
  if (output.kind === 'fixed') return nearestSize(output.sizes, aspect.width, aspect.height)
  const { step, minSide, maxSide, maxPixels } = output
  const ratio = aspect.width / aspect.height
  const area = Math.min(maxPixels, pixels)
  let [width, height] = [Math.sqrt(area * ratio), Math.sqrt(area / ratio)]
  // A short side under the minimum grows (the shape kept), then a long side over the maximum
  // shrinks; only a shape more extreme than the two allow is cut to fit.
  const grow = Math.max(1, minSide / Math.min(width, height))
  // Stryker disable next-line ArithmeticOperator: with both a grow and a shrink, both sides end at the limits the snap clamps to.
  const shrink = Math.min(1, maxSide / (Math.max(width, height) * grow))
  const snap = (side: number): number => Math.min(maxSide, Math.max(minSide, Math.floor(side / step) * step))
  width = snap(width * grow * shrink)
  height = snap(height * grow * shrink)
  // Growing for the minimum can pass the budget on a long, thin shape: take from the longer side.
  while (width * height > maxPixels && Math.max(width, height) - step >= minSide) {
    if (width >= height) width -= step
    else height -= step
  }
  return { width, height }
}
