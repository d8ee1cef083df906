import * as z from 'zod'

/**
 * fal's queue answers as the adapter reads them (fal-ai/fal-js `libs/client/src/types/common.ts`
 * and `types/endpoints.ts`); fields the relay does not use are let through.
 */

/** The queue's answer to a submit (`InQueueQueueStatus` with its URLs). */
export const FalSubmitted = z.object({
  request_id: z.string().min(1),
  status: z.string().optional(),
  queue_position: z.number().optional(),
  response_url: z.url(),
  status_url: z.url(),
  cancel_url: z.url()
})
export type FalSubmitted = z.infer<typeof FalSubmitted>

/** `GET status_url`: 202 while IN_QUEUE or IN_PROGRESS, 200 once COMPLETED. */
export const FalQueueStatus = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  queue_position: z.number().optional()
})
export type FalQueueStatus = z.infer<typeof FalQueueStatus>

/**
 * The `GET response_url` of a request that succeeded: `FluxKontextOutput`; FLUX.2's partner edit
 * `Emu35Output` (`{images, seed}` only, each image with its width and height; no
 * `has_nsfw_concepts`, `prompt` or `timings`); or [klein]'s `v4Output` (`Flux2Klein4bEditOutput`:
 * images, seed, `has_nsfw_concepts`, `prompt`, `timings`).
 */
export const FalOutput = z.object({
  images: z.array(z.object({ url: z.string().min(1), content_type: z.string().optional() })),
  seed: z.number().int().nonnegative().optional(),
  has_nsfw_concepts: z.array(z.boolean()).optional()
})
export type FalOutput = z.infer<typeof FalOutput>
