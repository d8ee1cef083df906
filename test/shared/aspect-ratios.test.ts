import { describe, expect, it } from 'vitest'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { nearestKontextSize } from '../../shared/nearest-kontext-size'
import { resolveKontextSize } from '../../shared/resolve-kontext-size'

describe('choosing the output size', () => {
  it.each([
    [1440, 900, '3:2'],
    [1920, 1080, '16:9'],
    [375, 812, '9:21'],
    [1080, 1080, '1:1'],
    [3000, 1000, '21:9'],
    [1000, 3000, '9:21'],
    [1024, 768, '4:3'],
    [768, 1024, '3:4'],
    [1080, 1920, '9:16']
  ])('a %i×%i frame gets %s', (width, height, ratio) => {
    expect(nearestKontextSize(width, height).ratio).toBe(ratio)
  })

  it('treats portrait and landscape alike', () => {
    for (const size of KONTEXT_SIZES) {
      expect(nearestKontextSize(size.height, size.width)).toEqual(
        KONTEXT_SIZES.find((other) => other.width === size.height && other.height === size.width)
      )
    }
  })

  it('honours an explicit choice whatever the frame', () => {
    expect(resolveKontextSize('16:9', { width: 500, height: 2000 })).toEqual({ ratio: '16:9', width: 1392, height: 752 })
  })
})
