import * as z from 'zod'

/**
 * BFL's OpenAPI `AsyncResponse` (docs/hosts.md, "Black Forest Labs"), the same for Kontext and FLUX.2;
 * `polling_url` is optional only in the webhook shape, which the relay never asks for. `cost` is in
 * credits (FLUX.2's per megapixel, inputs included); `input_mp` / `output_mp` go to the log.
 */
export const BflSubmitAnswer = z.object({
  id: z.string().min(1),
  polling_url: z.string().nullish(),
  cost: z.number().nonnegative().nullish(),
  input_mp: z.number().nullish(),
  output_mp: z.number().nullish()
})

/** BFL's OpenAPI `ResultResponse`: `result` is typed `any`; the relay needs `sample` and reads `seed`. */
export const BflPollAnswer = z.object({
  id: z.string().nullish(),
  status: z.string(),
  result: z.unknown().nullish(),
  progress: z.number().nullish(),
  details: z.unknown().nullish(),
  error: z.unknown().nullish()
})
export type BflPollAnswer = z.infer<typeof BflPollAnswer>

/** A Ready task's `result`, as far as the relay reads it. */
export const BflReadyResult = z.object({ sample: z.string().min(1), seed: z.number().int().nonnegative().nullish() })
