import { describe, expect, it } from 'vitest'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { estimateEditsCostUsd } from '../../ui/session/estimate-edits-cost'

const HERO = { width: 1440, height: 900 }

describe('the price the panel shows before a run', () => {
  it('Kontext: a flat price per image, whatever the frame', () => {
    const max = catalogueCapabilities('bfl', 'kontext-max')!
    expect(estimateEditsCostUsd(max, [[HERO]], 2)).toBe(0.16)
    expect(estimateEditsCostUsd(max, [[HERO], [{ width: 400, height: 300 }]], 1)).toBe(0.16)
  })

  it('FLUX.2: per megapixel of what the host is asked for and of the reference sent, for each variant', () => {
    const flex = catalogueCapabilities('bfl', 'flux2-flex')!
    // The hero goes at 2530×1581 (4.0 MP started: 4) and comes back at 2528×1568 (4): 0.05 + 3 × 0.05 + 4 × 0.05.
    expect(estimateEditsCostUsd(flex, [[HERO]], 2)).toBe(0.8)
    // On fal the sides stop at 2048: 2048×1280 in and out, 3 MP each: 0.05 + 2 × 0.05 + 3 × 0.05.
    expect(estimateEditsCostUsd(catalogueCapabilities('fal', 'flux2-flex')!, [[HERO]], 1)).toBe(0.3)
    // A 600×400 card goes at 2× (1200×800, under a megapixel): the cheapest edit, 0.05 + 0.05.
    expect(estimateEditsCostUsd(flex, [[{ width: 600, height: 400 }]], 1)).toBe(0.1)
  })

  it('several references in one edit: each one billed, the first one’s shape asked for', () => {
    const pro = catalogueCapabilities('bfl', 'flux2-pro')!
    const card = { width: 600, height: 400 }
    // 1200×800 out (1 MP: 0.03), two 1200×800 references in (1.92 MP: 2 × 0.015).
    expect(estimateEditsCostUsd(pro, [[card, card]], 1)).toBe(0.06)
    expect(estimateEditsCostUsd(pro, [], 1)).toBe(0)
  })
})
