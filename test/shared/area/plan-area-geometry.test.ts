import { describe, expect, it } from 'vitest'
import { AreaGeometry } from '../../../shared/area/area-geometry'
import { planAreaGeometry } from '../../../shared/area/plan-area-geometry'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES } from '../../../shared/aspect-ratios'
import { AppError } from '../../../shared/errors'
import { nearestSize } from '../../../shared/nearest-size'
import { areaOutputSizes } from '../../../shared/area/area-output-sizes'
import { offerOf } from '../../../shared/models'
import { referenceTargetOf } from '../../../shared/reference-target'

const HERO = { width: 1440, height: 900 }

describe('planning a region edit: the crop', () => {
  it('gives a 1440×900 hero a 2880×1800 render and a ~1 MP crop at 16:9 around a headline', () => {
    // Context max(96, 640 / 4) = 160 a side: 960×520 (1.846), nearest 16:9 (1.851), so the width
    // grows to 962.6: centred on x = 720, 238.7…1201.3, outward to 238…1202.
    const { geometry, notes } = planAreaGeometry({ x: 400, y: 300, width: 640, height: 200 }, HERO, KONTEXT_SIZES)
    expect(geometry).toEqual({
      containerWidth: 1440,
      containerHeight: 900,
      area: { x: 400, y: 300, width: 640, height: 200 },
      crop: { x: 238, y: 140, width: 964, height: 520 },
      cropScale: Math.sqrt(1_000_000 / (964 * 520)),
      frameScale: 2
    })
    expect(geometry.containerWidth * geometry.frameScale).toBe(2880)
    expect(geometry.containerHeight * geometry.frameScale).toBe(1800)
    expect(notes).toEqual([])
    expect(AreaGeometry.parse(geometry)).toEqual(geometry)
  })

  it('keeps 96 px of context around a tiny area and caps its crop at 4×', () => {
    const { geometry } = planAreaGeometry({ x: 500, y: 500, width: 8, height: 8 }, HERO, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 404, y: 404, width: 200, height: 200 })
    // √(1 MP / 200²) = 5 and 1568 / 200 = 7.84: Figma's 4× wins.
    expect(geometry.cropScale).toBe(4)
  })

  it('takes context of a quarter of the longer side once that passes 96 px', () => {
    // 388 / 4 = 97 > 96: 388 + 2 × 97 = 582 wide, 10 + 2 × 97 = 204 high (2.85), nearest 21:9: the width stays.
    const { geometry } = planAreaGeometry({ x: 600, y: 400, width: 388, height: 10 }, HERO, KONTEXT_SIZES)
    expect(geometry.crop.width).toBe(582)
    // 384 / 4 = 96: the floor still holds, 384 + 192 = 576.
    expect(planAreaGeometry({ x: 600, y: 400, width: 384, height: 10 }, HERO, KONTEXT_SIZES).geometry.crop.width).toBe(576)
  })

  it('shifts the crop inside at the top-left corner', () => {
    // 100×50: 292×242 (1.21), nearest 4:3 (1.345): 325.6 wide, centred on x = 50, shifted to 0.
    const { geometry } = planAreaGeometry({ x: 0, y: 0, width: 100, height: 50 }, HERO, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 0, y: 0, width: 326, height: 242 })
  })

  it('shifts the crop inside at the bottom-right corner', () => {
    const { geometry } = planAreaGeometry({ x: 1340, y: 850, width: 100, height: 50 }, HERO, KONTEXT_SIZES)
    // 1440 − 325.6 = 1114.4, outward to 1114.
    expect(geometry.crop).toEqual({ x: 1114, y: 658, width: 326, height: 242 })
  })

  it('cuts the crop to the container when the area is nearly all of it', () => {
    const { geometry } = planAreaGeometry({ x: 10, y: 10, width: 1420, height: 880 }, HERO, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 0, y: 0, width: 1440, height: 900 })
    expect(geometry.cropScale).toBe(Math.sqrt(1_000_000 / (1440 * 900)))
  })

  it('cuts one side and shifts the other for a very tall area', () => {
    // 30×1800: context 450, 930×2700 (0.344), nearest 9:21 (0.429): 1157.1 wide, centred on
    // x = 1415, 836.4…1993.6, outward to 836…1994; the height is cut to 2000.
    const { geometry } = planAreaGeometry({ x: 1400, y: 100, width: 30, height: 1800 }, { width: 3000, height: 2000 }, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 836, y: 0, width: 1158, height: 2000 })
    expect(geometry.frameScale).toBe(1.36)
  })

  it('grows a very wide area to 21:9 and renders its 5000 px container below 1×', () => {
    // 2000×20: context 500, 3000×1020 (2.94), nearest 21:9: 1285.7 high, centred on y = 1410,
    // 767.1…2052.9, outward to 767…2053.
    const container = { width: 5000, height: 3000 }
    const { geometry, notes } = planAreaGeometry({ x: 1500, y: 1400, width: 2000, height: 20 }, container, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 1000, y: 767, width: 3000, height: 1286 })
    // √(1 MP / (3000 × 1286)) = 0.509 < 1568 / 3000 = 0.523.
    expect(geometry.cropScale).toBe(Math.sqrt(1_000_000 / (3000 * 1286)))
    expect(geometry.frameScale).toBe(0.81)
    expect(notes).toEqual(['The frame is larger than 4096 px, so the result is at 0.81×.'])
  })

  it('holds a long thin crop to 1568 px on its long side', () => {
    // A 3:1 container cuts a 16:9 crop to 3000×1000: √(1 MP / 3 MP) = 0.577 > 1568 / 3000 = 0.523.
    const { geometry } = planAreaGeometry({ x: 100, y: 100, width: 2800, height: 800 }, { width: 3000, height: 1000 }, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 0, y: 0, width: 3000, height: 1000 })
    expect(geometry.cropScale).toBe(1568 / 3000)
  })

  it('takes Kontext [dev]’s 1456×720 where [pro] takes 16:9', () => {
    // 800×200: context 200, 1200×600 (2.0): dev's nearest is 1456×720 (2.022), so the width grows to
    // 1213.3 (793.3…2006.7, outward to 793…2007); pro's is 16:9 (1.851), so the height grows to
    // 648.3 (575.9…1224.1, outward to 575…1225).
    const container = { width: 3000, height: 2000 }
    const area = { x: 1000, y: 800, width: 800, height: 200 }
    expect(planAreaGeometry(area, container, KONTEXT_DEV_SIZES).geometry.crop).toEqual({ x: 793, y: 600, width: 1214, height: 600 })
    expect(planAreaGeometry(area, container, KONTEXT_SIZES).geometry.crop).toEqual({ x: 800, y: 575, width: 1200, height: 650 })
  })

  it('keeps the context’s own ratio when given no output sizes', () => {
    const { geometry } = planAreaGeometry({ x: 400, y: 300, width: 640, height: 200 }, HERO, [])
    expect(geometry.crop).toEqual({ x: 240, y: 140, width: 960, height: 520 })
  })

  it('clips an area that reaches past the container', () => {
    const { geometry } = planAreaGeometry({ x: -50, y: -20, width: 200, height: 100 }, HERO, KONTEXT_SIZES)
    expect(geometry.area).toEqual({ x: 0, y: 0, width: 150, height: 80 })
    const past = planAreaGeometry({ x: 1400, y: 860, width: 100, height: 100 }, HERO, KONTEXT_SIZES)
    expect(past.geometry.area).toEqual({ x: 1400, y: 860, width: 40, height: 40 })
  })

  it.each([
    ['right of it', { x: 1440, y: 10, width: 10, height: 10 }],
    ['below it', { x: 10, y: 900, width: 10, height: 10 }],
    ['left of it', { x: -10, y: 10, width: 10, height: 10 }],
    ['above it', { x: 10, y: -10, width: 10, height: 10 }]
  ])('refuses an area wholly %s', (_, area) => {
    const error = (() => {
      try {
        planAreaGeometry(area, HERO, KONTEXT_SIZES)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'export_failed', message: 'The selected layers are outside their frame.' })
  })

  it('keeps fractional container sizes as the crop’s far edge', () => {
    const { geometry } = planAreaGeometry({ x: 10, y: 10, width: 1400.5, height: 880.25 }, { width: 1440.5, height: 900.25 }, KONTEXT_SIZES)
    expect(geometry.crop).toEqual({ x: 0, y: 0, width: 1440.5, height: 900.25 })
  })
})

describe('planning a region edit: every output size list', () => {
  const lists = [
    ['Kontext [pro]/[max]', KONTEXT_SIZES],
    ['Kontext [dev]', KONTEXT_DEV_SIZES]
  ] as const
  const big = { width: 100_000, height: 100_000 }

  it.each(lists)('grows the crop, never shrinks it, to the nearest of %s', (_, sizes) => {
    const seen = new Set<number>()
    for (let step = -40; step <= 40; step += 1) {
      const ratio = Math.exp(step / 10)
      const area = { x: 50_000, y: 50_000, width: Math.round(300 * Math.sqrt(ratio)), height: Math.round(300 / Math.sqrt(ratio)) }
      const margin = Math.max(96, Math.max(area.width, area.height) / 4)
      const natural = { width: area.width + 2 * margin, height: area.height + 2 * margin }
      const size = nearestSize(sizes, natural.width, natural.height)
      const { crop } = planAreaGeometry(area, big, sizes).geometry
      // Both edges go outward to whole pixels: each side within 2 px of the size's ratio.
      expect(Math.abs(crop.width - crop.height * (size.width / size.height))).toBeLessThan(2 * (1 + size.width / size.height))
      expect(crop.width).toBeGreaterThanOrEqual(natural.width)
      expect(crop.height).toBeGreaterThanOrEqual(natural.height)
      expect(crop.x).toBeLessThanOrEqual(area.x - margin)
      expect(crop.y).toBeLessThanOrEqual(area.y - margin)
      expect(crop.x + crop.width).toBeGreaterThanOrEqual(area.x + area.width + margin)
      expect(crop.y + crop.height).toBeGreaterThanOrEqual(area.y + area.height + margin)
      seen.add(size.width / size.height)
    }
    // Context of a quarter of the longer side lets the crop reach 3:1 before it grows (a 2217×41
    // area: 3325×1149), past the widest size, so every size is the nearest for some area.
    expect(Math.max(...seen)).toBe(1568 / 672)
    expect(Math.min(...seen)).toBe(672 / 1568)
    expect(seen.size).toBe(sizes.length)
  })
})

describe('planning a region edit: the frame render’s scale', () => {
  const area = { x: 10, y: 10, width: 100, height: 100 }
  it.each([
    [1440, 900, 2],
    [2048, 1000, 2],
    [2049, 1000, 1.99],
    [1000, 2400, 1.7],
    [4096, 4096, 1]
  ])('renders a %i×%i container at %f×, with no note', (width, height, scale) => {
    const { geometry, notes } = planAreaGeometry(area, { width, height, name: 'Hero' }, KONTEXT_SIZES)
    expect(geometry.frameScale).toBe(scale)
    expect(Math.round(Math.max(width, height) * scale)).toBeLessThanOrEqual(4096)
    expect(notes).toEqual([])
  })

  it.each([
    [5120, 2880, 0.8, '0.8'],
    [2000, 4097, 0.99, '0.99'],
    [8192, 100, 0.5, '0.5']
  ])('renders a %i×%i container below 1× and says so', (width, height, scale, said) => {
    const { geometry, notes } = planAreaGeometry(area, { width, height, name: 'Hero' }, KONTEXT_SIZES)
    expect(geometry.frameScale).toBe(scale)
    expect(notes).toEqual([`“Hero” is larger than 4096 px, so the result is at ${said}×.`])
  })

  it('keeps a scale for a container so large that hundredths round it to 0', () => {
    const { geometry, notes } = planAreaGeometry(area, { width: 500_000, height: 1000, name: 'Map' }, KONTEXT_SIZES)
    expect(geometry.frameScale).toBe(4096 / 500_000)
    expect(notes).toEqual(['“Map” is larger than 4096 px, so the result is at 0.0082×.'])
  })
})

describe('the crop for a model with free sizes (FLUX.2)', () => {
  const headline = { x: 120, y: 200, width: 440, height: 80 }
  const hero = { width: 1440, height: 900 }

  it('keeps the crop’s own shape, at about a megapixel: more would be paid for and scaled away into the 2× render', () => {
    const flux2 = referenceTargetOf(offerOf('bfl', 'flux2-flex')!)
    const kontext = planAreaGeometry(headline, hero, KONTEXT_SIZES).geometry
    const { geometry } = planAreaGeometry(headline, hero, areaOutputSizes('bfl', 'flux2-flex'), flux2)
    expect(areaOutputSizes('bfl', 'flux2-flex')).toEqual([])
    // The context alone: a quarter of the area's longer side (110) on every side, no ratio to grow to.
    expect(geometry.crop).toEqual({ x: 10, y: 90, width: 660, height: 300 })
    expect(kontext.crop.width / kontext.crop.height).not.toBeCloseTo(660 / 300, 2)
    // 4 MP would be 4.5× this crop; a megapixel is 2.25×, above the render's 2×.
    expect(geometry.cropScale).toBeCloseTo(Math.sqrt(1_000_000 / (660 * 300)), 6)
    expect(geometry.cropScale).toBeGreaterThan(geometry.frameScale)
    expect(geometry.cropScale).toBeGreaterThanOrEqual(kontext.cropScale)
  })

  it('goes up to the render’s scale for a large area, where a megapixel would be less', () => {
    const flux2 = referenceTargetOf(offerOf('bfl', 'flux2-flex')!)
    const { geometry } = planAreaGeometry({ x: 300, y: 200, width: 500, height: 300 }, hero, [], flux2)
    expect(geometry.crop).toEqual({ x: 175, y: 75, width: 750, height: 550 })
    // A megapixel would be 1.56×, 4 MP 3.1×: the render's 2× is what the result can hold.
    expect(geometry.cropScale).toBe(geometry.frameScale)
  })
})
