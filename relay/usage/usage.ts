import * as z from 'zod'
import { ModelId, ProviderId } from '../../shared/models'

/** The UTC day of a time, as YYYY-MM-DD: budgets and the ledger count in UTC days. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** The next UTC midnight after `ms`, when that day's budgets start again. */
export function nextUtcMidnight(ms: number): number {
  const date = new Date(ms)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
}

/** Money is summed in millionths of a dollar, so 0.08 × 3 is 0.24 exactly. */
export function toMicros(usd: number): number {
  return Math.round(usd * 1_000_000)
}

export function fromMicros(micros: number): number {
  return micros / 1_000_000
}

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

/** What counts against a budget: the settled cost, or the reservation while pending. */
export function chargedMicros(entry: UsageEntry): number {
  return entry.outcome === 'pending' ? toMicros(entry.reservedUsd) : toMicros(entry.costUsd ?? 0)
}

/** Per-owner totals of one day's entries, owners in order of first appearance. */
export function totalsOf(entries: Iterable<UsageEntry>): UsageTotals[] {
  const byOwner = new Map<string, { edits: number; images: number; spent: number; reserved: number }>()
  for (const entry of entries) {
    const totals = byOwner.get(entry.owner) ?? { edits: 0, images: 0, spent: 0, reserved: 0 }
    totals.edits += 1
    totals.images += entry.delivered ?? 0
    if (entry.outcome === 'pending') totals.reserved += toMicros(entry.reservedUsd)
    else totals.spent += toMicros(entry.costUsd ?? 0)
    byOwner.set(entry.owner, totals)
  }
  return [...byOwner].map(([owner, totals]) => ({
    owner,
    edits: totals.edits,
    images: totals.images,
    spentUsd: fromMicros(totals.spent),
    reservedUsd: fromMicros(totals.reserved)
  }))
}

/** The entry once settled; a settled entry never changes again (the first settlement wins). */
export function settled(entry: UsageEntry, settlement: UsageSettlement): UsageEntry {
  return {
    ...entry,
    outcome: settlement.outcome,
    costUsd: settlement.costUsd,
    costEstimated: settlement.costEstimated,
    delivered: settlement.delivered,
    ...(settlement.errorCode === undefined ? {} : { errorCode: settlement.errorCode }),
    endedAt: settlement.endedAt
  }
}

export type ReserveResult = { ok: true } | { ok: false; chargedUsd: number }

/**
 * The budget rule, shared by every store: the reservation fits when what the owner has spent and
 * holds that day plus this edit's price is within the budget (null: no budget).
 */
export function fitsBudget(dayEntries: Iterable<UsageEntry>, entry: UsageEntry, dailyBudgetUsd: number | null): ReserveResult {
  if (dailyBudgetUsd === null) return { ok: true }
  let charged = 0
  for (const other of dayEntries) if (other.owner === entry.owner) charged += chargedMicros(other)
  if (charged + toMicros(entry.reservedUsd) > toMicros(dailyBudgetUsd)) return { ok: false, chargedUsd: fromMicros(charged) }
  return { ok: true }
}
