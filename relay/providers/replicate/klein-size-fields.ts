import type { KontextRatio } from '../../../shared/aspect-ratios'
import type { ProviderEditInput } from '../provider'

/**
 * The ratio names FLUX.2 [klein]'s `aspect_ratio` takes besides "match_input_image": FLUX.2's list on
 * Replicate (mirrors of its schema, docs/flux2.md §4 [S]; the klein page prints only its default,
 * "1:1"). Kontext's 21:9 and 9:21 are not in it, so the relay refuses them rather than send another shape.
 */
const KLEIN_RATIOS: ReadonlySet<KontextRatio> = new Set<KontextRatio>(['16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16'])

/**
 * The `output_megapixels` options the relay sends, and the pixels it takes each to make: "1" is the
 * page's default [C], "2" is sent by public code [S]; a megapixel is 1024² as on Replicate's FLUX.2
 * `resolution` [U]. None over the catalogue's budget (shared/catalogue/replicate.ts, KLEIN_MAX_PIXELS).
 */
const MEGAPIXEL_OPTIONS = [
  { value: '1', pixels: 1024 * 1024 },
  { value: '2', pixels: 2 * 1024 * 1024 }
] as const

/** Why Replicate's [klein] cannot make this edit's shape, or undefined; checked before anything is uploaded. */
export function kleinRefusal(input: ProviderEditInput): string | undefined {
  const ratio = input.request.aspectRatio
  if (ratio === 'auto' || KLEIN_RATIOS.has(ratio)) return undefined
  return `Replicate's ${input.offer.hostModelId} makes no ${ratio} image; choose another ratio, or Auto for the frame's own shape.`
}

/** The option nearest the planned pixels, by ratio: the host makes about that many. */
function megapixelsFor(pixels: number): string {
  const distance = (option: (typeof MEGAPIXEL_OPTIONS)[number]): number => Math.abs(Math.log(option.pixels / pixels))
  return MEGAPIXEL_OPTIONS.reduce((best, option) => (distance(option) < distance(best) ? option : best)).value
}

/**
 * [klein] takes no width or height (flux-2-klein-4b 8e9c42d7 API page): the relay asks for the planned
 * size's shape and pixels, and the host picks the sides. With Auto the shape is the first reference's,
 * "match_input_image" ("match the aspect ratio of the first input image"), which the plugin exports at the
 * frame's shape and which the relay planned from (relay/jobs/plan-output-size.ts); a named ratio goes as
 * its name. The host's answer is kept at whatever size it has (relay/jobs/stored-images-of.ts checks only
 * that Figma can place it), and priced at the planned size (Replicate reports no cost).
 */
export function kleinSizeFields(input: ProviderEditInput): Record<string, unknown> {
  const ratio = input.request.aspectRatio
  return {
    aspect_ratio: ratio === 'auto' ? 'match_input_image' : ratio,
    output_megapixels: megapixelsFor(input.size.width * input.size.height)
  }
}
