import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import type { OutputSizes } from '../../shared/models'
import { outputSizeFor } from '../../shared/output-size-for'

const FREE: OutputSizes = { kind: 'free', step: 16, minSide: 64, maxSide: 4096, maxPixels: 4_000_000 }

describe('the size a model is asked for', () => {
  it('with fixed sizes (Kontext): the listed size nearest the ratio, whatever the pixels', () => {
    expect(outputSizeFor({ kind: 'fixed', sizes: KONTEXT_SIZES }, { width: 1440, height: 900 }, 5_000_000)).toMatchObject({
      width: 1248,
      height: 832
    })
  })

  it('with free sizes (FLUX.2): the reference’s shape at its own pixels, on the grid', () => {
    // The plugin's 4 MP export of a 1440×900 hero: 2530×1581.
    expect(outputSizeFor(FREE, { width: 2530, height: 1581 }, 2530 * 1581)).toEqual({ width: 2528, height: 1568 })
    // A 1200×800 export (a 600×400 card at 2×): not enlarged to 4 MP.
    expect(outputSizeFor(FREE, { width: 1200, height: 800 }, 1200 * 800)).toEqual({ width: 1200, height: 800 })
  })

  it('takes from the longer side when the minimum side pushes a thin shape past the budget', () => {
    // 1:4 at 2 MP is 707×2828; its short side grows to 1024 and its long one to 4096: 4.2 MP, cut back to 2 MP.
    const rule: OutputSizes = { kind: 'free', step: 32, minSide: 1024, maxSide: 4096, maxPixels: 2_000_000 }
    expect(outputSizeFor(rule, { width: 1000, height: 4000 }, 2_000_000)).toEqual({ width: 1024, height: 1952 })
    expect(outputSizeFor(rule, { width: 4000, height: 1000 }, 2_000_000)).toEqual({ width: 1952, height: 1024 })
    // A square at the budget's edge stays as it is: 1408² is under 2 MP, the next step over.
    expect(outputSizeFor(rule, { width: 1, height: 1 }, 2_000_000)).toEqual({ width: 1408, height: 1408 })
  })

  it('keeps within the budget, the sides and the grid, for any shape and size', () => {
    const rule = fc.record({
      step: fc.constantFrom(16, 32),
      minSide: fc.constantFrom(64, 256),
      maxSide: fc.constantFrom(2048, 4096),
      maxPixels: fc.constantFrom(1_000_000, 4_000_000)
    })
    fc.assert(
      fc.property(rule, fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 20_000 }), (free, width, height) => {
        const output: OutputSizes = { kind: 'free', ...free }
        const size = outputSizeFor(output, { width, height }, width * height)
        expect(size.width % free.step).toBe(0)
        expect(size.height % free.step).toBe(0)
        expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(free.minSide)
        expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(free.maxSide)
        expect(size.width * size.height).toBeLessThanOrEqual(Math.max(free.maxPixels, free.minSide * free.maxSide))
        // Never more pixels than the reference had, unless the minimum side asks for them.
        if (Math.min(width, height) >= free.minSide) expect(size.width * size.height).toBeLessThanOrEqual(width * height)
        // The shape is kept (to the grid) unless the side limits cannot hold it.
        const limited = Math.max(width / height, height / width) > free.maxSide / free.minSide / 1.2
        // Each side is floored to the grid on its own: the width is off the shape by less than a step on each side.
        const ratio = width / height
        if (!limited) expect(Math.abs(size.width - size.height * ratio)).toBeLessThan(free.step * (1 + ratio))
      })
    )
  })
})
