import { KONTEXT_SIZES, type AspectRatio, type KontextSize } from './aspect-ratios'
import { nearestKontextSize } from './nearest-kontext-size'

export function resolveKontextSize(aspectRatio: AspectRatio, reference: { width: number; height: number }): KontextSize {
  if (aspectRatio === 'auto') return nearestKontextSize(reference.width, reference.height)
  const size = KONTEXT_SIZES.find((candidate) => candidate.ratio === aspectRatio)
  if (size === undefined) throw new Error(`unknown aspect ratio ${aspectRatio}`)
  return size
}
