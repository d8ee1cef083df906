import { describe, expect, it } from 'vitest'
import { AREA_DRIFT_LARGE, AREA_RESIDUAL_LARGE } from '../../../shared/area/area-limits'
import { compositeArea } from '../../../shared/area/composite-area'
import { resampleRgba } from '../../../shared/area/resample-rgba'
import { disturb, moveRight, uiScene } from './ui-scene'

/**
 * Where `drift.large`'s thresholds come from: an answer that left the surroundings alone, as the
 * model's round trip gives it back (the crop at about 1 MP, enlarged or shrunk to the frame
 * render), must stay under them, and one that tinted or redrew them must not.
 */
describe('compositing a region edit: the thresholds of “large”', () => {
  const base = uiScene(320, 200, 7)
  const area = { x: 96, y: 60, width: 128, height: 80 }
  // The answer at the crop's export size: 1.55× and 3.3× smaller than the frame render (a 2× render
  // of crops of 1000 and 3000 design pixels), and 1.5× larger (a small crop exported at 4×). The
  // 3.3× enlargement blurs dense text most: its ring keeps the most residual.
  const sizes = [
    [206, 129, 0.5],
    [97, 61, 0.75],
    [480, 300, 0.5]
  ] as const

  it.each(sizes)('leaves an untouched surrounding under every threshold (answer %i×%i)', (width, height, share) => {
    const { drift } = compositeArea({ base, answer: resampleRgba(base, width, height), areaInCrop: area })
    expect(Math.max(Math.abs(drift.r), Math.abs(drift.g), Math.abs(drift.b))).toBeLessThan(AREA_DRIFT_LARGE / 4)
    expect(drift.residual).toBeLessThan(AREA_RESIDUAL_LARGE * share)
    expect(drift.large).toBe(false)
  })

  it.each(sizes)('stays under them with ±10 levels of noise and a +6 tint (answer %i×%i)', (width, height) => {
    const { drift } = compositeArea({ base, answer: disturb(resampleRgba(base, width, height), 6, 10, 3), areaInCrop: area })
    // Less than 6 where the light page clips at 255.
    expect(drift.g).toBeGreaterThan(4)
    expect(drift.g).toBeLessThan(6.5)
    expect(drift.residual).toBeLessThan(AREA_RESIDUAL_LARGE)
    expect(drift.large).toBe(false)
  })

  it('calls a +10 tint large', () => {
    const { drift } = compositeArea({ base, answer: disturb(resampleRgba(base, 206, 129), 10, 0, 3), areaInCrop: area })
    expect(drift.r).toBeGreaterThan(AREA_DRIFT_LARGE)
    expect(drift.large).toBe(true)
  })

  it('calls redrawn surroundings large, by more than three times the residual threshold', () => {
    const { drift } = compositeArea({ base, answer: resampleRgba(uiScene(320, 200, 8), 206, 129), areaInCrop: area })
    expect(drift.residual).toBeGreaterThan(3 * AREA_RESIDUAL_LARGE)
    expect(drift.large).toBe(true)
  })

  // On a frame (flat fills, sharp edges) lining up a moved answer gains a few levels, far from
  // AREA_OFFSET_GAIN_LARGE: only a busy, photographic ring the model moved is called large.
  it.each([1, 2])('lines up an answer the model moved %i px, and does not call it large on a frame', (moved) => {
    const answer = moveRight(resampleRgba(base, 206, 129), moved)
    const unmoved = compositeArea({ base, answer: resampleRgba(base, 206, 129), areaInCrop: area }).drift
    const { drift } = compositeArea({ base, answer, areaInCrop: area })
    // 1 answer px is 1.55 frame-render px.
    expect(drift.offsetX).toBe(moved === 1 ? 1 : 2)
    expect(drift.offsetY).toBe(0)
    expect(drift.residual).toBeLessThan(unmoved.residual + 2)
    expect(drift.large).toBe(false)
  })
})
