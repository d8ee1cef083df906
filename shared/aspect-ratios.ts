import * as z from 'zod/mini'

/**
 * The nine output sizes FLUX.1 Kontext [pro]/[max] accept (Runware's "Compatibility & Validation"
 * table; BFL's aspect ratios 21:9 … 9:21 at about one megapixel).
 */
export const KONTEXT_SIZES = [
  { ratio: '21:9', width: 1568, height: 672 },
  { ratio: '16:9', width: 1392, height: 752 },
  { ratio: '4:3', width: 1184, height: 880 },
  { ratio: '3:2', width: 1248, height: 832 },
  { ratio: '1:1', width: 1024, height: 1024 },
  { ratio: '2:3', width: 832, height: 1248 },
  { ratio: '3:4', width: 880, height: 1184 },
  { ratio: '9:16', width: 752, height: 1392 },
  { ratio: '9:21', width: 672, height: 1568 }
] as const

export type KontextSize = (typeof KONTEXT_SIZES)[number]
export type KontextRatio = KontextSize['ratio']

export interface KontextSizeSpec {
  readonly width: number
  readonly height: number
}

/**
 * The 17 sizes Kontext [dev] works at (ComfyUI's PREFERED_KONTEXT_RESOLUTIONS; Runware's dev
 * model takes the same list, docs/hosts.md, "Runware").
 */
export const KONTEXT_DEV_SIZES: readonly KontextSizeSpec[] = [
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
].map(([width, height]) => ({ width: width!, height: height! }))

export const AspectRatio = z.enum(['auto', ...KONTEXT_SIZES.map((size) => size.ratio)] as ['auto', ...KontextSize['ratio'][]])
export type AspectRatio = z.infer<typeof AspectRatio>
