import { describe, expect, it } from 'vitest'
import { pasteRgba } from '../../../shared/area/paste-rgba'
import { at, rgba } from './rgba'

describe('pasting RGBA pixels', () => {
  const image = rgba(5, 4, () => [1, 2, 3, 4])
  const patch = rgba(2, 3, (x, y) => [10 + x, 20 + y, 30, 40])

  it('writes the patch at its place and leaves every other pixel', () => {
    const pasted = pasteRgba(image, patch, 3, 1)
    expect(pasted.width).toBe(5)
    expect(pasted.height).toBe(4)
    for (let y = 0; y < 4; y += 1) {
      for (let x = 0; x < 5; x += 1) {
        const inside = x >= 3 && y >= 1
        expect(at(pasted, x, y)).toEqual(inside ? [10 + x - 3, 20 + y - 1, 30, 40] : [1, 2, 3, 4])
      }
    }
  })

  it('returns a copy and leaves the image as it was', () => {
    const pasted = pasteRgba(image, patch, 0, 0)
    expect(pasted.data).not.toBe(image.data)
    expect(at(image, 0, 0)).toEqual([1, 2, 3, 4])
    expect(at(pasted, 0, 0)).toEqual([10, 20, 30, 40])
  })
})
