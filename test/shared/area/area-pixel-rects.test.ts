import { describe, expect, it } from 'vitest'
import type { AreaGeometry } from '../../../shared/area/area-geometry'
import { areaPixelRects } from '../../../shared/area/area-pixel-rects'
import { planAreaGeometry } from '../../../shared/area/plan-area-geometry'
import { KONTEXT_SIZES } from '../../../shared/aspect-ratios'

function geometry(fields: Partial<AreaGeometry>): AreaGeometry {
  return {
    containerWidth: 1440,
    containerHeight: 900,
    area: { x: 400, y: 300, width: 640, height: 200 },
    crop: { x: 80, y: 0, width: 1280, height: 854 },
    cropScale: 1,
    frameScale: 2,
    ...fields
  }
}

describe('the crop and the area in frame-render pixels', () => {
  it('doubles a 2× hero exactly', () => {
    const planned = planAreaGeometry({ x: 400, y: 300, width: 640, height: 200 }, { width: 1440, height: 900 }, KONTEXT_SIZES).geometry
    expect(areaPixelRects(planned, { width: 2880, height: 1800 })).toEqual({
      crop: { x: 476, y: 280, width: 1928, height: 1040 },
      areaInCrop: { x: 324, y: 320, width: 1280, height: 400 }
    })
  })

  it('scales by the render’s own size, rounds the crop and grows the area outward', () => {
    // 1440.5 × 2 = 2881 wide; 900.25 × 2 = 1800.5, which Figma rounds to 1801: the y scale is 2.000555.
    const rects = areaPixelRects(
      geometry({ containerWidth: 1440.5, containerHeight: 900.25, area: { x: 400.25, y: 300.5, width: 640, height: 200 } }),
      { width: 2881, height: 1801 }
    )
    // Crop y end 854 × 2.000555 = 1708.47 rounds to 1708; the area's 601.17…1001.28 goes out to 601…1002.
    expect(rects).toEqual({
      crop: { x: 160, y: 0, width: 2560, height: 1708 },
      areaInCrop: { x: 640, y: 601, width: 1281, height: 401 }
    })
  })

  it('rounds each crop edge to the nearest pixel at 0.8×', () => {
    const rects = areaPixelRects(
      geometry({
        containerWidth: 5120,
        containerHeight: 2880,
        area: { x: 1100.3, y: 600.6, width: 500.2, height: 300.9 },
        crop: { x: 1000, y: 500.7, width: 1333, height: 1000.5 },
        frameScale: 0.8
      }),
      { width: 4096, height: 2304 }
    )
    // x: 800…1866.4 → 800…1866; y: 400.56…1200.96 → 401…1201. Area x 880.24…1280.4 → 880…1281,
    // y 480.48…721.2 → 480…722.
    expect(rects).toEqual({
      crop: { x: 800, y: 401, width: 1066, height: 800 },
      areaInCrop: { x: 80, y: 79, width: 401, height: 242 }
    })
  })

  it('keeps a crop that would reach past the render inside it', () => {
    const rects = areaPixelRects(
      geometry({
        containerWidth: 1000,
        containerHeight: 500,
        crop: { x: -10, y: -10, width: 1030, height: 530 },
        area: { x: 0, y: 0, width: 1000, height: 500 }
      }),
      { width: 800, height: 400 }
    )
    expect(rects).toEqual({ crop: { x: 0, y: 0, width: 800, height: 400 }, areaInCrop: { x: 0, y: 0, width: 800, height: 400 } })
  })

  it('grows an area smaller than a render pixel out to every pixel it touches', () => {
    const rects = areaPixelRects(geometry({ area: { x: 500.9, y: 400.1, width: 0.2, height: 0.2 }, frameScale: 1 }), {
      width: 1440,
      height: 900
    })
    expect(rects.areaInCrop).toEqual({ x: 420, y: 400, width: 2, height: 1 })
  })

  it('clamps an area outside the crop to the crop’s edge pixel', () => {
    const after = areaPixelRects(geometry({ area: { x: 1400, y: 880, width: 30, height: 10 }, frameScale: 1 }), {
      width: 1440,
      height: 900
    })
    expect(after.areaInCrop).toEqual({ x: 1279, y: 853, width: 1, height: 1 })
    const before = areaPixelRects(
      geometry({ area: { x: 10, y: 0, width: 30, height: 10 }, crop: { x: 80, y: 20, width: 100, height: 100 }, frameScale: 1 }),
      {
        width: 1440,
        height: 900
      }
    )
    expect(before.areaInCrop).toEqual({ x: 0, y: 0, width: 1, height: 1 })
  })

  it('gives a crop of at least one pixel', () => {
    const rects = areaPixelRects(
      geometry({ crop: { x: 100.2, y: 100.2, width: 0.1, height: 0.1 }, area: { x: 100.2, y: 100.2, width: 0.1, height: 0.1 } }),
      {
        width: 1440,
        height: 900
      }
    )
    expect(rects).toEqual({ crop: { x: 100, y: 100, width: 1, height: 1 }, areaInCrop: { x: 0, y: 0, width: 1, height: 1 } })
  })
})
