import { describe, expect, it } from 'vitest'
import { compositeArea } from '../../../shared/area/composite-area'
import type { RgbaImage } from '../../../shared/area/rgba-image'
import { at, random, rgba, sameBytes } from './rgba'

// 44×36 with the area at 18…25 × 14…21: feather 4 and the ring's gap 4 leave the ring outside
// 10…33 × 6…29 and 2 px from the edges, 704 pixels, so every ring pixel is a sample and each side
// of the ring has a width that 2 and 4 divide (the stripes below cancel out exactly). Small on
// purpose: mutation testing runs these on instrumented code.
const W = 44
const H = 36
const AREA = { x: 18, y: 14, width: 8, height: 8 }
const inBand = (x: number, y: number): boolean => x >= 14 && x < 30 && y >= 10 && y < 26
const flat = (level: number, alpha = 255): RgbaImage => rgba(W, H, () => [level, level, level, alpha])
/** Pseudo-random texture, the same at the same coordinates wherever it is read from. */
const noise = (x: number, y: number, channel: number): number =>
  50 + (((Math.imul(x * 73856093 + 7, y * 19349663 + channel * 83492791 + 3) >>> 9) % 150) | 0)

describe('compositing a region edit: what changes', () => {
  it('copies every pixel outside the area and its feather from the frame render, bit for bit', () => {
    const next = random(11)
    const base = rgba(W, H, () => [next() * 256, next() * 256, next() * 256, next() * 256])
    const answer = rgba(27, 21, () => [next() * 256, next() * 256, next() * 256, next() * 256])
    const { pixels } = compositeArea({ base, answer, areaInCrop: AREA })
    expect(pixels.width).toBe(W)
    expect(pixels.height).toBe(H)
    let [outside, sameOutside, changedInArea] = [0, 0, 0]
    for (let y = 0; y < H; y += 1) {
      for (let x = 0; x < W; x += 1) {
        const same = at(pixels, x, y).join() === at(base, x, y).join()
        if (!inBand(x, y)) [outside, sameOutside] = [outside + 1, sameOutside + (same ? 1 : 0)]
        else if (x >= 18 && x < 26 && y >= 14 && y < 22 && !same) changedInArea += 1
      }
    }
    expect(outside).toBe(W * H - 16 * 16)
    expect(sameOutside).toBe(outside)
    expect(changedInArea).toBeGreaterThan(60)
    expect(pixels.data).not.toBe(base.data)
  })

  it('takes the answer inside the area and fades it out linearly across the feather', () => {
    const answer = rgba(W, H, (x, y) => (inBand(x, y) ? [200, 200, 200] : [100, 100, 100]))
    const { pixels, drift } = compositeArea({ base: flat(100), answer, areaInCrop: AREA })
    expect(drift).toEqual({ r: 0, g: 0, b: 0, residual: 0, offsetX: 0, offsetY: 0, large: false })
    // Distance 1…4 from the area: weights 4/5 … 1/5; distance 5 is the frame render.
    const across = Array.from({ length: 20 }, (_, i) => at(pixels, 12 + i, 18)[0])
    expect(across).toEqual([100, 100, 120, 140, 160, 180, ...Array<number>(8).fill(200), 180, 160, 140, 120, 100, 100])
    const down = Array.from({ length: 20 }, (_, i) => at(pixels, 22, 8 + i)[1])
    expect(down).toEqual([100, 100, 120, 140, 160, 180, ...Array<number>(8).fill(200), 180, 160, 140, 120, 100, 100])
    // A corner takes the smaller of its two weights: 2 across (3/5) and 3 down (2/5).
    expect(at(pixels, 16, 11)).toEqual([140, 140, 140, 255])
    expect(at(pixels, 27, 23)).toEqual([160, 160, 160, 255])
  })

  it('feathers over the width it is given', () => {
    const answer = rgba(W, H, (x, y) => (inBand(x, y) ? [200, 200, 200] : [100, 100, 100]))
    const sharp = compositeArea({ base: flat(100), answer, areaInCrop: AREA, featherPx: 0 }).pixels
    expect([16, 17, 18, 25, 26].map((x) => at(sharp, x, 18)[0])).toEqual([100, 100, 200, 200, 100])
    const narrow = compositeArea({ base: flat(100), answer, areaInCrop: AREA, featherPx: 2 }).pixels
    // 1 − 1/3 and 1 − 2/3 of the way: 166.7 and 133.3.
    expect([15, 16, 17, 18].map((x) => at(narrow, x, 18)[0])).toEqual([100, 133, 167, 200])
  })

  it('blends alpha like a colour, and keeps the frame render’s alpha outside', () => {
    const base = rgba(W, H, (x) => (x < 5 ? [9, 8, 7, 0] : [100, 100, 100, 255]))
    const answer = rgba(W, H, (x, y) => (inBand(x, y) ? [100, 100, 100, 128] : [100, 100, 100, 255]))
    const { pixels } = compositeArea({ base, answer, areaInCrop: AREA })
    expect(at(pixels, 22, 18)).toEqual([100, 100, 100, 128])
    // 255 + 4/5 × (128 − 255) = 153.4; 255 + 1/5 × (128 − 255) = 229.6.
    expect(at(pixels, 17, 18)).toEqual([100, 100, 100, 153])
    expect(at(pixels, 14, 18)).toEqual([100, 100, 100, 230])
    expect(at(pixels, 3, 18)).toEqual([9, 8, 7, 0])
  })
})

describe('compositing a region edit: an area past the crop', () => {
  // The edit (200) where the area and its feather are; the ring (100) matches the frame render.
  const answer = rgba(W, H, (x, y) => (x >= 34 && y >= 26 ? [200, 200, 200] : [100, 100, 100]))

  it('cuts an area that reaches past the crop’s edge to it', () => {
    const { pixels } = compositeArea({ base: flat(100), answer, areaInCrop: { x: 38, y: 30, width: 10, height: 10 }, featherPx: 2 })
    expect([35, 36, 37, 38, 43].map((x) => at(pixels, x, 32)[0])).toEqual([100, 133, 167, 200, 200])
    expect(at(pixels, 43, 35)).toEqual([200, 200, 200, 255])
    expect(at(pixels, 40, 27)).toEqual([100, 100, 100, 255])
  })

  it('changes nothing for an area wholly outside the crop', () => {
    for (const area of [
      { x: 100, y: 10, width: 10, height: 10 },
      { x: 10, y: 100, width: 10, height: 10 },
      { x: -40, y: 10, width: 10, height: 10 }
    ]) {
      expect(sameBytes(compositeArea({ base: flat(100), answer, areaInCrop: area }).pixels, flat(100))).toBe(true)
    }
  })
})

describe('compositing a region edit: drift and offset', () => {
  it('removes a +6 drift on a flat background and leaves no step at the area’s border', () => {
    // The model lifted everything by 6 levels and moved its edit (a dark square) 1 px right.
    const answer = rgba(W, H, (x, y) => (x >= 20 && x < 25 && y >= 16 && y < 21 ? [20, 20, 20] : [106, 106, 106]))
    const { pixels, drift } = compositeArea({ base: flat(100), answer, areaInCrop: AREA })
    expect(drift).toEqual({ r: 6, g: 6, b: 6, residual: 0, offsetX: 0, offsetY: 0, large: false })
    let step = 0
    for (let y = 6; y < 30; y += 1) {
      for (let x = 10; x < 34; x += 1)
        if (!(x >= 20 && x < 25 && y >= 16 && y < 21)) step = Math.max(step, Math.abs(at(pixels, x, y)[0]! - 100))
    }
    expect(step).toBeLessThanOrEqual(2)
    expect(at(pixels, 22, 18)).toEqual([14, 14, 14, 255])
  })

  it('finds a 1 px offset and a +6 drift on a textured background, and lines the area up', () => {
    const texture = (x: number, y: number): number[] => [100 + (x % 5) * 3 + (y % 7) * 2, 120 + (x % 5) * 3, 140 + (y % 7) * 2]
    const base = rgba(W, H, texture)
    const answer = rgba(W, H, (x, y) => texture(x - 1, y).map((level) => level + 6))
    const { pixels, drift } = compositeArea({ base, answer, areaInCrop: AREA })
    expect(drift).toEqual({ r: 6, g: 6, b: 6, residual: 0, offsetX: 1, offsetY: 0, large: false })
    for (let y = 6; y < 30; y += 1) for (let x = 10; x < 34; x += 1) expect(at(pixels, x, y)).toEqual(at(base, x, y))
  })

  it('finds an offset on both axes', () => {
    const base = rgba(W, H, (x, y) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2)])
    const answer = rgba(W, H, (x, y) => [noise(x + 2, y - 1, 0) + 3, noise(x + 2, y - 1, 1) + 3, noise(x + 2, y - 1, 2) + 3])
    const { pixels, drift } = compositeArea({ base, answer, areaInCrop: AREA })
    // A picture the model moved was redrawn: worth a look even though it now lines up.
    expect(drift).toEqual({ r: 3, g: 3, b: 3, residual: 0, offsetX: -2, offsetY: 1, large: true })
    expect(at(pixels, 22, 18)).toEqual(at(base, 22, 18))
  })

  it('reads the answer at the offset, held at the crop’s edges', () => {
    const area = { x: 0, y: 0, width: 8, height: 8 }
    const base = rgba(W, H, (x, y) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2)])
    const answer = rgba(W, H, (x, y) => [noise(x + 2, y + 1, 0), noise(x + 2, y + 1, 1), noise(x + 2, y + 1, 2)])
    const { pixels, drift } = compositeArea({ base, answer, areaInCrop: area })
    expect([drift.offsetX, drift.offsetY]).toEqual([-2, -1])
    // Pixel x reads the answer at x − 2, held at 0: the answer's column 0 is the texture's column 2.
    expect(at(pixels, 0, 5)).toEqual(at(base, 2, 5))
    expect(at(pixels, 1, 5)).toEqual(at(base, 2, 5))
    expect(at(pixels, 2, 5)).toEqual(at(base, 2, 5))
    expect(at(pixels, 3, 5)).toEqual(at(base, 3, 5))
    expect(at(pixels, 5, 0)).toEqual(at(base, 5, 1))
    expect(at(pixels, 5, 1)).toEqual(at(base, 5, 1))
  })

  it('holds the read inside at the far edges too', () => {
    const area = { x: 36, y: 28, width: 8, height: 8 }
    const base = rgba(W, H, (x, y) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2)])
    const answer = rgba(W, H, (x, y) => [noise(x - 2, y - 2, 0), noise(x - 2, y - 2, 1), noise(x - 2, y - 2, 2)])
    const { pixels, drift } = compositeArea({ base, answer, areaInCrop: area })
    expect([drift.offsetX, drift.offsetY]).toEqual([2, 2])
    expect(at(pixels, 43, 30)).toEqual(at(base, 41, 30))
    expect(at(pixels, 42, 30)).toEqual(at(base, 41, 30))
    expect(at(pixels, 41, 30)).toEqual(at(base, 41, 30))
    expect(at(pixels, 40, 30)).toEqual(at(base, 40, 30))
    expect(at(pixels, 40, 35)).toEqual(at(base, 40, 33))
  })

  it.each([
    [1, 0, 0.5],
    [2, 1, 0]
  ])(
    'takes an offset only when it lowers the residual by a level (stripes of %i: offset %i, residual %f)',
    (amplitude, offsetX, residual) => {
      const stripes = (x: number): number[] => Array<number>(3).fill(100 + (x % 4 >= 2 ? amplitude : 0))
      const base = rgba(W, H, (x) => stripes(x))
      const answer = rgba(W, H, (x) => stripes(x + 3))
      expect(compositeArea({ base, answer, areaInCrop: AREA }).drift).toEqual({
        r: 0,
        g: 0,
        b: 0,
        residual,
        offsetX,
        offsetY: 0,
        large: false
      })
    }
  )

  it('finds an offset down as well as across', () => {
    const base = rgba(W, H, (_, y) => Array<number>(3).fill(y % 4 >= 2 ? 110 : 100))
    const answer = rgba(W, H, (_, y) => Array<number>(3).fill((y + 3) % 4 >= 2 ? 110 : 100))
    expect(compositeArea({ base, answer, areaInCrop: AREA }).drift).toEqual({
      r: 0,
      g: 0,
      b: 0,
      residual: 0,
      offsetX: 0,
      offsetY: 1,
      large: false
    })
  })

  it('keeps still on a flat ring, where every offset fits as well', () => {
    const { drift } = compositeArea({ base: flat(100), answer: flat(90), areaInCrop: AREA })
    expect(drift).toEqual({ r: -10, g: -10, b: -10, residual: 0, offsetX: 0, offsetY: 0, large: true })
  })

  it('measures each channel on its own', () => {
    const answer = rgba(W, H, () => [103, 95, 100])
    expect(compositeArea({ base: flat(100), answer, areaInCrop: AREA }).drift).toMatchObject({ r: 3, g: -5, b: 0, residual: 0 })
  })
})

describe('compositing a region edit: when the surroundings changed', () => {
  it.each([
    [8, false],
    [9, true],
    [-9, true]
  ])('calls a drift of %i levels large: %s', (shift, large) => {
    const answer = rgba(W, H, () => [100, 100 + shift, 100])
    expect(compositeArea({ base: flat(100), answer, areaInCrop: AREA }).drift).toEqual({
      r: 0,
      g: shift,
      b: 0,
      residual: 0,
      offsetX: 0,
      offsetY: 0,
      large
    })
  })

  it.each([
    [12, false],
    [13, true]
  ])('calls a residual of %i levels large: %s', (amplitude, large) => {
    const answer = rgba(W, H, (x) => Array<number>(3).fill(x % 2 === 0 ? 100 + amplitude : 100 - amplitude))
    expect(compositeArea({ base: flat(100), answer, areaInCrop: AREA }).drift).toEqual({
      r: 0,
      g: 0,
      b: 0,
      residual: amplitude,
      offsetX: 0,
      offsetY: 0,
      large
    })
  })

  it.each([
    [16, false],
    [18, true]
  ])('calls an offset that gains %i / 2 levels large: %s', (amplitude, large) => {
    const stripes = (x: number): number[] => Array<number>(3).fill(100 + (x % 4 >= 2 ? amplitude : 0))
    const base = rgba(W, H, (x) => stripes(x))
    const answer = rgba(W, H, (x) => stripes(x + 3))
    expect(compositeArea({ base, answer, areaInCrop: AREA }).drift).toEqual({
      r: 0,
      g: 0,
      b: 0,
      residual: 0,
      offsetX: 1,
      offsetY: 0,
      large
    })
  })
})

describe('compositing a region edit: transparency and sizes', () => {
  it('measures the drift only where the frame render is opaque', () => {
    const base = rgba(W, H, (x) => (x < 10 ? [0, 0, 0, 0] : [100, 100, 100, 255]))
    expect(compositeArea({ base, answer: flat(106), areaInCrop: AREA }).drift).toMatchObject({ r: 6, g: 6, b: 6, residual: 0 })
    const halfOpaque = rgba(W, H, (x) => (x < 10 ? [0, 0, 0, 254] : [100, 100, 100, 255]))
    expect(compositeArea({ base: halfOpaque, answer: flat(106), areaInCrop: AREA }).drift).toMatchObject({ r: 6, residual: 0 })
  })

  it('measures the drift only where the answer is opaque', () => {
    const answer = rgba(W, H, (_, y) => (y < 5 ? [255, 255, 255, 254] : [106, 106, 106, 255]))
    expect(compositeArea({ base: flat(100), answer, areaInCrop: AREA }).drift).toMatchObject({ r: 6, g: 6, b: 6, residual: 0 })
  })

  it('reports no drift when no ring pixel is opaque', () => {
    const { drift, pixels } = compositeArea({ base: flat(100, 0), answer: flat(180), areaInCrop: AREA })
    expect(drift).toEqual({ r: 0, g: 0, b: 0, residual: 0, offsetX: 0, offsetY: 0, large: false })
    expect(at(pixels, 22, 18)).toEqual([180, 180, 180, 255])
  })

  it('reports no drift when the area leaves no ring', () => {
    const whole = { x: 0, y: 0, width: W, height: H }
    const { drift, pixels } = compositeArea({ base: flat(100), answer: flat(150), areaInCrop: whole })
    expect(drift).toEqual({ r: 0, g: 0, b: 0, residual: 0, offsetX: 0, offsetY: 0, large: false })
    expect(at(pixels, 0, 0)).toEqual([150, 150, 150, 255])
    expect(at(pixels, W - 1, H - 1)).toEqual([150, 150, 150, 255])
  })

  it('averages an answer more than twice the crop’s size down to it', () => {
    // 4× the crop, +6, with the edit (200) exactly over the area.
    const answer = rgba(W * 4, H * 4, (x, y) => (x >= 72 && x < 104 && y >= 56 && y < 88 ? [200, 200, 200] : [106, 106, 106]))
    const { pixels, drift } = compositeArea({ base: flat(100), answer, areaInCrop: AREA })
    expect(drift).toEqual({ r: 6, g: 6, b: 6, residual: 0, offsetX: 0, offsetY: 0, large: false })
    expect(at(pixels, 18, 14)).toEqual([194, 194, 194, 255])
    expect(at(pixels, 25, 21)).toEqual([194, 194, 194, 255])
    expect(at(pixels, 17, 18)).toEqual([100, 100, 100, 255])
  })

  it('enlarges a smaller answer bilinearly', () => {
    // Half the crop's size: the edit (200) over answer pixels 9…12 lands on crop pixels 18…25.
    const answer = rgba(W / 2, H / 2, (x, y) => (x >= 9 && x < 13 && y >= 7 && y < 11 ? [200, 200, 200] : [106, 106, 106]))
    const { pixels, drift } = compositeArea({ base: flat(100), answer, areaInCrop: AREA })
    expect(drift).toMatchObject({ r: 6, g: 6, b: 6, residual: 0 })
    expect(at(pixels, 22, 18)).toEqual([194, 194, 194, 255])
    // Crop pixel 18 samples the answer at 8.75: ¼ of 106 and ¾ of 200 is 176.5, less 6 is 170.5.
    expect(at(pixels, 18, 18)).toEqual([171, 171, 171, 255])
  })
})
