import { describe, expect, it } from 'vitest'
import { axisTaps, TAP_ONE } from '../../../shared/area/axis-taps'
import { resampleRgba } from '../../../shared/area/resample-rgba'
import { at, column, random, rgba, row } from './rgba'

const RAMP = [0, 100, 200, 255]

describe('axis taps', () => {
  it('aligns pixel centres when enlarging 2×, and every pixel’s weights add up to exactly TAP_ONE', () => {
    const taps = axisTaps(4, 8)
    expect(taps.stride).toBe(2)
    expect(Array.from(taps.first)).toEqual([0, 0, 0, 1, 1, 2, 2, 2])
    expect(Array.from(taps.count)).toEqual([2, 2, 2, 2, 2, 2, 2, 2])
    // Centres at −0.25 (held at 0), 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25 (held at 3, as 0 × 2 + 1 × 3).
    expect(Array.from(taps.weights)).toEqual([4096, 0, 3072, 1024, 1024, 3072, 3072, 1024, 1024, 3072, 3072, 1024, 1024, 3072, 0, 4096])
  })

  it('averages the covered span when shrinking more than 2×, partial pixels in part', () => {
    // 5 → 2: each target pixel covers 2.5 source pixels, 1 + 1 + ½ and ½ + 1 + 1.
    const taps = axisTaps(5, 2)
    expect(taps.stride).toBe(4)
    expect(Array.from(taps.first)).toEqual([0, 2])
    expect(Array.from(taps.count)).toEqual([3, 3])
    // 0.4 × 4096 = 1638.4 and 0.2 × 4096 = 819.2 round to 1638 + 1638 + 819 = 4095: the largest takes the missing 1.
    expect(Array.from(taps.weights)).toEqual([1639, 1638, 819, 0, 819, 1639, 1638, 0])
  })

  it('shrinks exactly 2× bilinearly, half and half', () => {
    const taps = axisTaps(4, 2)
    expect(Array.from(taps.first)).toEqual([0, 2])
    expect(Array.from(taps.weights)).toEqual([2048, 2048, 2048, 2048])
  })

  it('shrinks 3× by averaging three pixels', () => {
    const taps = axisTaps(6, 2)
    expect(Array.from(taps.first)).toEqual([0, 3])
    expect(Array.from(taps.count)).toEqual([3, 3])
    expect(Array.from(taps.weights)).toEqual([1366, 1365, 1365, 0, 1366, 1365, 1365, 0])
  })

  it('gives the unit that rounding adds or loses to the larger weight', () => {
    // 4097 → 4096 puts pixel d's centre at d + (d + 0.5) / 4096: both weights round half up (4097 in all).
    const taps = axisTaps(4097, 4096)
    expect([taps.first[1], taps.weights[2], taps.weights[3]]).toEqual([1, 4094, 2])
    expect([taps.first[3000], taps.weights[6000], taps.weights[6001]]).toEqual([3000, 1096, 3000])
  })

  it('reads a one-pixel source once', () => {
    const taps = axisTaps(1, 3)
    expect(Array.from(taps.first)).toEqual([0, 0, 0])
    expect(Array.from(taps.count)).toEqual([1, 1, 1])
    expect(Array.from(taps.weights)).toEqual([TAP_ONE, 0, TAP_ONE, 0, TAP_ONE, 0])
  })
})

describe('resampling RGBA pixels', () => {
  it('enlarges a known ramp bilinearly, across and down', () => {
    const across = resampleRgba(
      rgba(4, 1, (x) => [RAMP[x]!, 0, 0]),
      8,
      1
    )
    expect(row(across, 0)).toEqual([0, 25, 75, 125, 175, 214, 241, 255])
    const down = resampleRgba(
      rgba(1, 4, (_, y) => [0, RAMP[y]!, 0]),
      1,
      8
    )
    expect(column(down, 0, 1)).toEqual([0, 25, 75, 125, 175, 214, 241, 255])
  })

  it('keeps a flat image flat whatever the scale', () => {
    const flat = rgba(7, 5, () => [13, 200, 97, 255])
    for (const [width, height] of [
      [20, 11],
      [3, 2],
      [1, 1],
      [7, 5],
      [2, 17]
    ] as const) {
      const result = resampleRgba(flat, width, height)
      expect(result.width).toBe(width)
      expect(result.height).toBe(height)
      expect(result.data.length).toBe(width * height * 4)
      for (let i = 0; i < result.data.length; i += 4) expect(Array.from(result.data.subarray(i, i + 4))).toEqual([13, 200, 97, 255])
    }
  })

  it('gives the same pixels back at the same size', () => {
    const next = random(5)
    const image = rgba(9, 6, () => [next() * 256, next() * 256, next() * 256, next() * 256])
    expect(resampleRgba(image, 9, 6).data).toEqual(image.data)
  })

  it('averages blocks when shrinking 4×, so a one-pixel line is kept as a quarter', () => {
    const lines = rgba(16, 8, (x, y) => (x === 5 || y === 2 ? [255, 255, 255] : [0, 0, 0]))
    const small = resampleRgba(lines, 4, 2)
    // Block 1 across holds column 5: 4 of 16 pixels (and row 2 adds 3 more): 7 × 255 / 16 = 111.6.
    expect(row(small, 0)).toEqual([64, 112, 64, 64])
    expect(row(small, 1)).toEqual([0, 64, 0, 0])
  })

  it('averages a 5 → 2 shrink with the partly covered middle pixel split', () => {
    const image = rgba(5, 1, (x) => [[10, 20, 30, 40, 50][x]!, 0, 0])
    // (10 + 20 + 15) / 2.5 = 18, (15 + 40 + 50) / 2.5 = 42.
    expect(row(resampleRgba(image, 2, 1), 0)).toEqual([18, 42])
  })

  it('resamples alpha with the colours', () => {
    const image = rgba(2, 2, (x) => [200, 100, 50, x === 0 ? 0 : 200])
    const wide = resampleRgba(image, 4, 2)
    expect(row(wide, 0, 3)).toEqual([0, 50, 150, 200])
    expect(at(wide, 1, 1)).toEqual([200, 100, 50, 50])
  })

  it('rounds to the nearest level, half up', () => {
    // (2 + 3) / 2 = 2.5 → 3, where a clamped array's own rounding (half to even) would give 2.
    expect(
      row(
        resampleRgba(
          rgba(2, 1, (x) => [x + 2, 0, 0]),
          1,
          1
        ),
        0
      )
    ).toEqual([3])
    // 2× enlargement's 0.75/0.25 weights: 1.25 → 1, 1.75 → 2; 2.75 → 3, 4.25 → 4.
    expect(
      row(
        resampleRgba(
          rgba(2, 1, (x) => [x + 1, x * 3 + 2, 0]),
          4,
          1
        ),
        0
      )
    ).toEqual([1, 1, 2, 2])
    expect(
      row(
        resampleRgba(
          rgba(2, 1, (x) => [x + 1, x * 3 + 2, 0]),
          4,
          1
        ),
        0,
        1
      )
    ).toEqual([2, 3, 4, 5])
  })

  it('enlarges a one-pixel-wide image by repeating it', () => {
    const image = rgba(1, 2, (_, y) => [y * 100, 7, 9])
    const wide = resampleRgba(image, 3, 2)
    expect(row(wide, 0)).toEqual([0, 0, 0])
    expect(row(wide, 1)).toEqual([100, 100, 100])
  })
})
