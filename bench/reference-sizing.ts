import { referenceExportSettings } from '../plugin/export/reference-export-settings'
import { KONTEXT_REFERENCE } from '../shared/reference-target'
import { MAX_REFERENCE_BYTES, MAX_REFERENCE_PIXELS } from '../shared/limits'
import { designPng } from './representative-image'
import type { Section } from './report'
import { megabytes, megapixels } from './stats'

const FRAMES: Array<[number, number, string]> = [
  [375, 812, 'phone'],
  [1440, 900, 'laptop'],
  [1920, 1080, 'desktop'],
  [3840, 2160, '4K']
]
const TARGET_MAX_PIXELS = 1_100_000
/** A slow uplink: 5 Mbit/s (a busy office or a phone hotspot). */
const UPLINK_BITS_PER_SECOND = 5_000_000

const seconds = (bytes: number): string => `${((bytes * 8) / UPLINK_BITS_PER_SECOND).toFixed(1)} s`

export async function measureReferenceSizingAsync(): Promise<Section> {
  const rows: string[][] = []
  let worstPixels = 0
  let naiveRefused = 0
  for (const [width, height, label] of FRAMES) {
    const rule = referenceExportSettings(width, height, KONTEXT_REFERENCE)
    const rulePixels = rule.pixelWidth * rule.pixelHeight
    const ruleBytes = designPng(rule.pixelWidth, rule.pixelHeight).byteLength
    const naiveWidth = width * 2
    const naiveHeight = height * 2
    const naiveBytes = designPng(naiveWidth, naiveHeight).byteLength
    const naivePixels = naiveWidth * naiveHeight
    worstPixels = Math.max(worstPixels, rulePixels)
    const refused = naivePixels > MAX_REFERENCE_PIXELS || naiveBytes > MAX_REFERENCE_BYTES
    if (refused) naiveRefused += 1
    rows.push([
      `${width}×${height} (${label})`,
      `${rule.pixelWidth}×${rule.pixelHeight}`,
      megapixels(rulePixels),
      megabytes(ruleBytes),
      seconds(ruleBytes),
      `${naiveWidth}×${naiveHeight}`,
      megapixels(naivePixels),
      `${megabytes(naiveBytes)}${refused ? " (over the relay's 20 MP / 20 MB limit)" : ''}`,
      seconds(naiveBytes),
      `${(naiveBytes / ruleBytes).toFixed(1)}×`
    ])
  }
  return {
    title: 'Reference sizing',
    method:
      'For each frame, the reference the plugin uploads (plugin/export/reference-export-settings.ts, the real rule: about one megapixel, at most 1568 px a side, small frames at most 2×) against a naive 2× export, both as real PNG bytes of the same representative design (bench/representative-image.ts: nav bar, photographic hero with a headline, three cards with photos and text; ~1.1 bytes a pixel, RGBA, adaptive filters, zlib level 6 as libpng writes by default). Upload times at a 5 Mbit/s uplink.',
    tables: [
      {
        headers: [
          'Frame',
          'Plugin uploads',
          'Pixels',
          'Bytes',
          'at 5 Mbit/s',
          'Naive 2×',
          'Pixels',
          'Bytes',
          'at 5 Mbit/s',
          'Naive ÷ plugin'
        ],
        rows
      }
    ],
    targets: [
      {
        name: 'largest reference uploaded, any frame size',
        target: `≤ ${megapixels(TARGET_MAX_PIXELS)}`,
        measured: megapixels(worstPixels),
        pass: worstPixels <= TARGET_MAX_PIXELS
      }
    ],
    notes: [
      'Kontext works at about one megapixel and its outputs are the nine ~1 MP sizes; every pixel above that is downscaled by the host and thrown away. The rule sends the same ~1 MP whatever the frame, so a 4K frame costs a designer the same upload as a laptop one.',
      ...(naiveRefused > 0
        ? [
            `${naiveRefused} of the naive 2× exports would not even be accepted: the relay (like BFL) takes at most 20 megapixels and 20 MB per image.`
          ]
        : [])
    ]
  }
}
