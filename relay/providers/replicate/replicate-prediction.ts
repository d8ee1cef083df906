import * as z from 'zod'

export const PredictionStatus = z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'])
export type PredictionStatus = z.infer<typeof PredictionStatus>

const TERMINAL: ReadonlySet<PredictionStatus> = new Set(['succeeded', 'failed', 'canceled', 'aborted'])

/** The prediction object (replicate/replicate-javascript `index.d.ts`, `Prediction`), only the fields the relay reads. */
export const Prediction = z.object({
  id: z.string().min(1),
  status: PredictionStatus,
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  urls: z.object({ get: z.string().min(1), cancel: z.string().min(1).optional() })
})
export type Prediction = z.infer<typeof Prediction>

export function isTerminal(prediction: Prediction): boolean {
  return TERMINAL.has(prediction.status)
}
