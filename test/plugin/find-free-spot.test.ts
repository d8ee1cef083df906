import { describe, expect, it } from 'vitest'
import { findFreeSpot } from '../../plugin/place/find-free-spot'

const box = { x: 140, y: 0, width: 100, height: 100 }

describe('finding a free spot to the right', () => {
  it('keeps the first spot when nothing is near', () => {
    expect(findFreeSpot(box, [{ x: 0, y: 0, width: 100, height: 100 }], 40)).toEqual(box)
  })

  it('steps past a neighbour, keeping the gap', () => {
    expect(findFreeSpot(box, [{ x: 200, y: 50, width: 300, height: 20 }], 40)).toEqual({ ...box, x: 540 })
  })

  it('steps past a chain of neighbours', () => {
    const obstacles = [
      { x: 150, y: 0, width: 100, height: 100 },
      { x: 300, y: 80, width: 100, height: 100 },
      { x: 460, y: 0, width: 10, height: 10 }
    ]
    expect(findFreeSpot(box, obstacles, 40).x).toBe(510)
  })

  it('ignores things above and below beyond the gap', () => {
    expect(findFreeSpot(box, [{ x: 140, y: 141, width: 100, height: 100 }], 40)).toEqual(box)
    expect(findFreeSpot(box, [{ x: 140, y: 139, width: 100, height: 100 }], 40).x).toBe(280)
  })
})
