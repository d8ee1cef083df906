import * as z from 'zod'

/**
 * The nine output sizes FLUX.1 Kontext [pro]/[max] accept (Runware's "Compatibility & Validation"
 * table; BFL's aspect ratios 21:9 … 9:21 at about one megapixel).
 */
export const KONTEXT_SIZES = [
  { ratio: '21:9', width: 1568, height: 672 },
  { ratio: '16:9', width: 1392, height: 752 },
  { ratio: '4:3', width: 1184, height: 880 },
  { ratio: '3:2', width: 1248, height: 832 },
  { ratio: '1:1', width: 1024, height: 1024 },
  { ratio: '2:3', width: 832, height: 1248 },
  { ratio: '3:4', width: 880, height: 1184 },
  { ratio: '9:16', width: 752, height: 1392 },
  { ratio: '9:21', width: 672, height: 1568 }
] as const

export type KontextSize = (typeof KONTEXT_SIZES)[number]

export const AspectRatio = z.enum(['auto', ...KONTEXT_SIZES.map((size) => size.ratio)] as ['auto', ...KontextSize['ratio'][]])
export type AspectRatio = z.infer<typeof AspectRatio>

/** Nearest by the logarithm of the ratio, so 2:1 and 1:2 are equally far from 1:1. */
export function nearestKontextSize(width: number, height: number): KontextSize {
  const target = Math.log(width / height)
  let best: KontextSize = KONTEXT_SIZES[4]
  let bestDistance = Infinity
  for (const size of KONTEXT_SIZES) {
    const distance = Math.abs(Math.log(size.width / size.height) - target)
    if (distance < bestDistance) {
      best = size
      bestDistance = distance
    }
  }
  return best
}

export function resolveKontextSize(aspectRatio: AspectRatio, reference: { width: number; height: number }): KontextSize {
  if (aspectRatio === 'auto') return nearestKontextSize(reference.width, reference.height)
  const size = KONTEXT_SIZES.find((candidate) => candidate.ratio === aspectRatio)
  if (size === undefined) throw new Error(`unknown aspect ratio ${aspectRatio}`)
  return size
}
