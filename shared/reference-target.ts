import * as z from 'zod/mini'
import { KONTEXT_MAX_INPUT_PIXELS, REFERENCE_MAX_LONG_SIDE, REFERENCE_MAX_UPSCALE, REFERENCE_TARGET_PIXELS } from './limits'
import type { OutputSizes } from './models'

/**
 * How large a reference the model makes use of: about `pixels`, never over `maxLongSide` on its
 * long side, and several references within `totalPixels` together.
 */
export const ReferenceTarget = z.object({
  pixels: z.int().check(z.positive()),
  maxLongSide: z.int().check(z.positive()),
  totalPixels: z.int().check(z.positive())
})
export type ReferenceTarget = z.infer<typeof ReferenceTarget>

/** Kontext works at about one megapixel, at most 1568 px on the long side (its largest output side). */
export const KONTEXT_REFERENCE: ReferenceTarget = {
  pixels: REFERENCE_TARGET_PIXELS,
  maxLongSide: REFERENCE_MAX_LONG_SIDE,
  totalPixels: KONTEXT_MAX_INPUT_PIXELS
}

/** The chosen model's target: FLUX.2 uses references up to its own output limits (4 MP, its longest side). */
export function referenceTargetOf(capabilities: { referencePixels: number; maxInputPixels: number; output: OutputSizes }): ReferenceTarget {
  const { output } = capabilities
  const maxLongSide = output.kind === 'free' ? output.maxSide : Math.max(...output.sizes.map((size) => Math.max(size.width, size.height)))
  return { pixels: capabilities.referencePixels, maxLongSide, totalPixels: capabilities.maxInputPixels }
}

/** One of `count` references sent together: its share of the total, when that is less than its own size. */
export function shareOf(target: ReferenceTarget, count: number): ReferenceTarget {
  return { ...target, pixels: Math.min(target.pixels, Math.floor(target.totalPixels / Math.max(1, count))) }
}

/**
 * The scale a `width`×`height` box is exported at for `target`: the target's pixels, within its
 * long side, and small frames at most 2× (more would invent pixels).
 */
export function referenceScale(width: number, height: number, target: ReferenceTarget): number {
  return Math.min(Math.sqrt(target.pixels / (width * height)), target.maxLongSide / Math.max(width, height), REFERENCE_MAX_UPSCALE)
}

/** The pixel size a `frame` is exported at for `target` (the sandbox's export, the panel's estimates). */
export function referenceSize(frame: { width: number; height: number }, target: ReferenceTarget): { width: number; height: number } {
  const scale = referenceScale(frame.width, frame.height, target)
  return { width: Math.max(1, Math.round(frame.width * scale)), height: Math.max(1, Math.round(frame.height * scale)) }
}
