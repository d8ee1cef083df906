import { chargedMicros } from './charged-micros'
import { fromMicros } from './from-micros'
import { toMicros } from './to-micros'
import type { UsageEntry } from './usage-entry'

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
