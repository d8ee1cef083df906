import * as z from 'zod'
import { ModelId, ProviderId } from '../../shared/models'

export const UsageOutcome = z.enum(['pending', 'succeeded', 'failed', 'canceled'])
export type UsageOutcome = z.infer<typeof UsageOutcome>

/**
 * One edit in the ledger. Written `pending` with the catalogue price reserved before the host is
 * called, then settled once with what it cost. Holds the owner's name, never a token.
 */
export const UsageEntry = z.object({
  jobId: z.string(),
  owner: z.string(),
  /** The UTC day the edit started, YYYY-MM-DD: the day its cost counts against. */
  day: z.string(),
  /** ms since the epoch */
  createdAt: z.number(),
  provider: ProviderId,
  model: ModelId,
  /** Variants asked for. */
  images: z.number().int().nonnegative(),
  /** The catalogue price of those variants, held while the edit runs. */
  reservedUsd: z.number().nonnegative(),
  outcome: UsageOutcome,
  /** Set when settled: what the edit cost (0 when released). */
  costUsd: z.number().nonnegative().optional(),
  /** True when `costUsd` is the catalogue price because the host reported none. */
  costEstimated: z.boolean().optional(),
  /** Images delivered, when settled. */
  delivered: z.number().int().nonnegative().optional(),
  /** The relay error code of a failed or canceled edit. */
  errorCode: z.string().optional(),
  endedAt: z.number().optional()
})
export type UsageEntry = z.infer<typeof UsageEntry>

/** What a settled edit cost and how it ended. */
export interface UsageSettlement {
  outcome: Exclude<UsageOutcome, 'pending'>
  costUsd: number
  costEstimated: boolean
  delivered: number
  errorCode?: string
  endedAt: number
}

export interface UsageTotals {
  owner: string
  edits: number
  images: number
  spentUsd: number
  reservedUsd: number
}
