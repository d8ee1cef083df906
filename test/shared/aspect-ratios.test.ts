import { describe, expect, it } from 'vitest'
import { AspectRatio, KONTEXT_DEV_SIZES, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { nearestKontextSize } from '../../shared/nearest-kontext-size'
import { nearestSize } from '../../shared/nearest-size'
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

  it('reads the frame’s shape for auto', () => {
    expect(resolveKontextSize('auto', { width: 500, height: 2000 })).toEqual({ ratio: '9:21', width: 672, height: 1568 })
    expect(resolveKontextSize('auto', { width: 1440, height: 900 }).ratio).toBe('3:2')
  })

  it('refuses a ratio outside the table', () => {
    expect(() => resolveKontextSize('5:4' as AspectRatio, { width: 1, height: 1 })).toThrow('unknown aspect ratio 5:4')
  })

  it('offers auto and each of the nine ratios', () => {
    expect(AspectRatio.options).toEqual(['auto', '21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'])
  })

  it('keeps the first of two sizes equally near', () => {
    const wide = { width: 2, height: 1 }
    const tall = { width: 1, height: 2 }
    expect(nearestSize([wide, tall], 1, 1)).toBe(wide)
    expect(nearestSize([tall, wide], 1, 1)).toBe(tall)
    expect(nearestSize([wide, tall], 1, 3)).toBe(tall)
    expect(nearestSize([tall, wide], 3, 1)).toBe(wide)
  })
})

describe('the Kontext [dev] sizes', () => {
  it('are the 17 sizes ComfyUI lists, tall to wide', () => {
    expect(KONTEXT_DEV_SIZES.map(({ width, height }) => [width, height])).toEqual([
      [672, 1568],
      [688, 1504],
      [720, 1456],
      [752, 1392],
      [800, 1328],
      [832, 1248],
      [880, 1184],
      [944, 1104],
      [1024, 1024],
      [1104, 944],
      [1184, 880],
      [1248, 832],
      [1328, 800],
      [1392, 752],
      [1456, 720],
      [1504, 688],
      [1568, 672]
    ])
  })

  it('each win for a frame of their own shape', () => {
    for (const size of KONTEXT_DEV_SIZES) {
      expect(nearestSize(KONTEXT_DEV_SIZES, size.width * 3, size.height * 3)).toBe(size)
    }
  })
})
