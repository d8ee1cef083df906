import { describe, expect, it } from 'vitest'
import { referenceExportSettings } from '../../plugin/export/reference-export-settings'
import { offerOf } from '../../shared/models'
import { KONTEXT_REFERENCE, referenceTargetOf } from '../../shared/reference-target'

describe('the reference export size', () => {
  it.each([
    [375, 812],
    [1440, 900],
    [1920, 1080],
    [3840, 2160],
    [100, 100],
    [20000, 300]
  ])('a %i×%i frame exports at about one megapixel', (width, height) => {
    const { pixelWidth, pixelHeight, settings } = referenceExportSettings(width, height, KONTEXT_REFERENCE)
    expect(pixelWidth * pixelHeight).toBeLessThanOrEqual(1_100_000)
    expect(Math.max(pixelWidth, pixelHeight)).toBeLessThanOrEqual(1568)
    expect(pixelWidth / width).toBeLessThanOrEqual(2.001)
    // Same shape to within a pixel of rounding.
    expect(Math.abs(pixelHeight - (pixelWidth * height) / width)).toBeLessThanOrEqual(1)
    expect(settings).toMatchObject({ format: 'PNG', colorProfile: 'SRGB', useAbsoluteBounds: true })
  })

  it('constrains the long side, so the size is exact', () => {
    expect(referenceExportSettings(1440, 900, KONTEXT_REFERENCE).settings.constraint).toEqual({ type: 'WIDTH', value: 1265 })
    expect(referenceExportSettings(375, 812, KONTEXT_REFERENCE).settings.constraint).toEqual({
      type: 'HEIGHT',
      value: referenceExportSettings(375, 812, KONTEXT_REFERENCE).pixelHeight
    })
  })

  it('scales small frames up by at most 2×', () => {
    expect(referenceExportSettings(100, 50, KONTEXT_REFERENCE)).toMatchObject({ pixelWidth: 200, pixelHeight: 100 })
  })

  it('constrains the width of a square frame', () => {
    expect(referenceExportSettings(500, 500, KONTEXT_REFERENCE).settings.constraint).toEqual({ type: 'WIDTH', value: 1000 })
  })

  it('exports for FLUX.2 at its own limit: up to 4 MP, never more than the frame at 2×', () => {
    const bfl = referenceTargetOf(offerOf('bfl', 'flux2-flex')!)
    expect(bfl).toEqual({ pixels: 4_000_000, maxLongSide: 4096, totalPixels: 9_000_000 })
    // A 1440×900 hero at 2× would be 5.2 MP: 4 MP at its own shape.
    const hero = referenceExportSettings(1440, 900, bfl)
    expect(hero.pixelWidth * hero.pixelHeight).toBeLessThanOrEqual(4_000_000)
    expect(hero.pixelWidth * hero.pixelHeight).toBeGreaterThan(3_990_000)
    expect(Math.abs(hero.pixelHeight - (hero.pixelWidth * 900) / 1440)).toBeLessThanOrEqual(1)
    // A 600×400 card: 2×, not 4 MP of invented pixels.
    expect(referenceExportSettings(600, 400, bfl)).toMatchObject({ pixelWidth: 1200, pixelHeight: 800 })
    // Runware and fal take at most 2048 px a side.
    expect(referenceExportSettings(4000, 500, referenceTargetOf(offerOf('fal', 'flux2-flex')!)).pixelWidth).toBe(2048)
  })
})
