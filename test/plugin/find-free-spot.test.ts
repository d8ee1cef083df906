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

  it('ignores an obstacle far to the right in the same row', () => {
    expect(findFreeSpot(box, [{ x: 1000, y: 0, width: 100, height: 100 }], 40)).toEqual(box)
    // Blocked by one neighbour, it steps past that one only, not past the far one too.
    const neighbours = [
      { x: 1000, y: 0, width: 100, height: 100 },
      { x: 200, y: 0, width: 100, height: 100 }
    ]
    expect(findFreeSpot(box, neighbours, 40)).toEqual({ ...box, x: 340 })
  })

  it('steps past the furthest of several neighbours blocking at once', () => {
    const neighbours = [
      { x: 150, y: 0, width: 100, height: 10 },
      { x: 160, y: 50, width: 300, height: 10 },
      { x: 170, y: 90, width: 50, height: 10 }
    ]
    expect(findFreeSpot(box, neighbours, 40).x).toBe(500)
  })

  it('counts a neighbour exactly the gap away as clear, and one pixel closer as blocking', () => {
    // Left: its right edge plus the gap meets the box.
    expect(findFreeSpot(box, [{ x: 0, y: 0, width: 100, height: 100 }], 40).x).toBe(140)
    expect(findFreeSpot(box, [{ x: 0, y: 0, width: 101, height: 100 }], 40).x).toBe(141)
    // Right: the gap before it meets the box's right edge.
    expect(findFreeSpot(box, [{ x: 280, y: 0, width: 10, height: 100 }], 40).x).toBe(140)
    expect(findFreeSpot(box, [{ x: 279, y: 0, width: 10, height: 100 }], 40).x).toBe(329)
    // Above: its bottom edge plus the gap meets the box's top.
    expect(findFreeSpot(box, [{ x: 140, y: -140, width: 100, height: 100 }], 40).x).toBe(140)
    expect(findFreeSpot(box, [{ x: 140, y: -139, width: 100, height: 100 }], 40).x).toBe(280)
    // Below: the gap above it meets the box's bottom.
    expect(findFreeSpot(box, [{ x: 140, y: 140, width: 100, height: 100 }], 40).x).toBe(140)
  })

  it('returns a new box, leaving the one it was given alone', () => {
    const given = { ...box }
    const spot = findFreeSpot(given, [{ x: 200, y: 0, width: 10, height: 10 }], 40)
    expect(given).toEqual(box)
    expect(spot).not.toBe(given)
  })
})
