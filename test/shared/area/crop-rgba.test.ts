import { describe, expect, it } from 'vitest'
import { cropRgba } from '../../../shared/area/crop-rgba'
import { at, rgba } from './rgba'

describe('cropping RGBA pixels', () => {
  const image = rgba(6, 5, (x, y) => [x, y, x * 10 + y, 200 + x])

  it('copies the rectangle’s pixels, row by row', () => {
    const crop = cropRgba(image, { x: 2, y: 1, width: 3, height: 2 })
    expect(crop.width).toBe(3)
    expect(crop.height).toBe(2)
    expect(Array.from(crop.data)).toEqual([
      ...[2, 1, 21, 202, 3, 1, 31, 203, 4, 1, 41, 204],
      ...[2, 2, 22, 202, 3, 2, 32, 203, 4, 2, 42, 204]
    ])
  })

  it('takes the whole image and a corner pixel', () => {
    expect(cropRgba(image, { x: 0, y: 0, width: 6, height: 5 }).data).toEqual(image.data)
    expect(Array.from(cropRgba(image, { x: 5, y: 4, width: 1, height: 1 }).data)).toEqual(at(image, 5, 4))
  })

  it('copies rather than shares', () => {
    const crop = cropRgba(image, { x: 0, y: 0, width: 2, height: 2 })
    crop.data[0] = 99
    expect(image.data[0]).toBe(0)
  })
})
