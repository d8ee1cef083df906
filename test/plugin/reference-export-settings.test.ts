import { describe, expect, it } from 'vitest'
import { referenceExportSettings } from '../../plugin/export/reference-export-settings'

describe('the reference export size', () => {
  it.each([
    [375, 812],
    [1440, 900],
    [1920, 1080],
    [3840, 2160],
    [100, 100],
    [20000, 300]
  ])('a %i×%i frame exports at about one megapixel', (width, height) => {
    const { pixelWidth, pixelHeight, settings } = referenceExportSettings(width, height)
    expect(pixelWidth * pixelHeight).toBeLessThanOrEqual(1_100_000)
    expect(Math.max(pixelWidth, pixelHeight)).toBeLessThanOrEqual(1568)
    expect(pixelWidth / width).toBeLessThanOrEqual(2.001)
    // Same shape to within a pixel of rounding.
    expect(Math.abs(pixelHeight - (pixelWidth * height) / width)).toBeLessThanOrEqual(1)
    expect(settings).toMatchObject({ format: 'PNG', colorProfile: 'SRGB', useAbsoluteBounds: true })
  })

  it('constrains the long side, so the size is exact', () => {
    expect(referenceExportSettings(1440, 900).settings.constraint).toEqual({ type: 'WIDTH', value: 1265 })
    expect(referenceExportSettings(375, 812).settings.constraint).toEqual({
      type: 'HEIGHT',
      value: referenceExportSettings(375, 812).pixelHeight
    })
  })

  it('scales small frames up by at most 2×', () => {
    expect(referenceExportSettings(100, 50)).toMatchObject({ pixelWidth: 200, pixelHeight: 100 })
  })

  it('constrains the width of a square frame', () => {
    expect(referenceExportSettings(500, 500).settings.constraint).toEqual({ type: 'WIDTH', value: 1000 })
  })
})
