import * as z from 'zod'

/**
 * Runflow's answers, only as far as the adapter reads them (docs.runflow.io/concepts/runs and
 * /concepts/errors; the official JS SDK, runflow-io/runflow-js, packages/sdk/src/…); every other
 * field of a record is ignored.
 */

/**
 * Error bodies: `{"code","message","errors"}` with `errors[]` on 422 (docs.runflow.io/concepts/errors),
 * or the nested `{"error": {"code","message"}}` the SDK's client reads (client.ts).
 */
export const ErrorEnvelope = z.object({
  code: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  errors: z.array(z.unknown()).nullable().optional().catch(undefined),
  error: z
    .object({ code: z.string().optional().catch(undefined), message: z.string().optional().catch(undefined) })
    .optional()
    .catch(undefined)
})

/** One entry of the normalized `outputs[]`: only its `url` is read, as the SDK does. */
const OutputItem = z.object({ url: z.string().min(1).optional().catch(undefined) }).catch({})

/** Every output shape the SDK reads (tools/outputs.ts), and fal's `seed`. */
export const RunOutput = z.object({
  outputs: z.array(OutputItem).optional().catch(undefined),
  image_urls: z.array(z.unknown()).optional().catch(undefined),
  image: z
    .object({ url: z.string().min(1).optional().catch(undefined) })
    .nullable()
    .optional()
    .catch(undefined),
  url: z.string().min(1).optional().catch(undefined),
  output_url: z.string().min(1).optional().catch(undefined),
  seed: z.number().int().nonnegative().optional().catch(undefined)
})
export type RunOutput = z.infer<typeof RunOutput>

/** The SDK's `Run.error` (types.ts). */
const RunError = z.object({
  code: z.string().nullable().optional().catch(undefined),
  message: z.string().nullable().optional().catch(undefined)
})

export const Run = z.object({
  id: z.string().min(1),
  status_code: z.string().min(1),
  output: RunOutput.nullable().optional().catch(null),
  cost: z.union([z.string(), z.number()]).nullable().optional().catch(null),
  error: RunError.nullable().optional().catch(null),
  // The docs' older run record.
  failure_code: z.string().nullable().optional().catch(null),
  failure_message: z.string().nullable().optional().catch(null)
})
export type Run = z.infer<typeof Run>

export const AssetUpload = z.object({ asset_id: z.string().min(1), upload_url: z.string().min(1) })
/** The confirmed Asset: only its `id` is read (the SDK's `ref` is built from it). */
export const Asset = z.object({ id: z.string().min(1).optional().catch(undefined) })

export const QUEUED = new Set(['queued', 'dispatching'])
export const RUNNING = new Set(['running'])
export const SUCCEEDED = new Set(['succeeded', 'partial_succeeded'])
export const FAILED = new Set(['failed'])
// The run record spells it "canceled"; one docs version says "cancelled". Both are terminal.
export const CANCELED = new Set(['canceled', 'cancelled'])

/** A run that will not change again. */
export function isTerminal(status: string): boolean {
  return SUCCEEDED.has(status) || FAILED.has(status) || CANCELED.has(status)
}

/** The cost as Runflow reports it (a string such as "0.08", or a number); undefined when absent or unreadable. */
export function parseCostUsd(cost: Run['cost']): number | undefined {
  if (cost === null || cost === undefined) return undefined
  const value = typeof cost === 'number' ? cost : Number(cost.trim().replace(/^\$/, ''))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}
