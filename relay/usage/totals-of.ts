import { fromMicros } from './from-micros'
import { toMicros } from './to-micros'
import type { UsageEntry, UsageTotals } from './usage-entry'

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
