import { describe, expect, it } from 'vitest'
import { offerOf } from '../../shared/models'
import { KONTEXT_REFERENCE, referenceSize, referenceTargetOf, shareOf } from '../../shared/reference-target'

describe('the reference size a model makes use of', () => {
  it('Kontext: about a megapixel, within its longest output side (1568), four large references in all', () => {
    expect(referenceTargetOf(offerOf('bfl', 'kontext-max')!)).toEqual(KONTEXT_REFERENCE)
    expect(KONTEXT_REFERENCE).toEqual({ pixels: 1_000_000, maxLongSide: 1568, totalPixels: 4 * 2048 * 2048 })
  })

  it('FLUX.2: up to 4 MP each within the host’s longest side, 9 MP in all', () => {
    expect(referenceTargetOf(offerOf('runware', 'flux2-pro')!)).toEqual({ pixels: 4_000_000, maxLongSide: 2048, totalPixels: 9_000_000 })
  })

  it('shares the total among several references, never giving one more than its own size', () => {
    const flux2 = referenceTargetOf(offerOf('bfl', 'flux2-pro')!)
    expect(shareOf(flux2, 1).pixels).toBe(4_000_000)
    expect(shareOf(flux2, 3).pixels).toBe(3_000_000)
    expect(shareOf(flux2, 8).pixels).toBe(1_125_000)
    expect(shareOf(flux2, 0).pixels).toBe(4_000_000)
  })

  it('sizes a frame’s export: the target’s pixels at the frame’s shape, at most 2×, at least one pixel', () => {
    expect(referenceSize({ width: 1440, height: 900 }, KONTEXT_REFERENCE)).toEqual({ width: 1265, height: 791 })
    expect(referenceSize({ width: 100, height: 50 }, KONTEXT_REFERENCE)).toEqual({ width: 200, height: 100 })
    expect(referenceSize({ width: 20000, height: 1 }, KONTEXT_REFERENCE)).toEqual({ width: 1568, height: 1 })
  })
})
