import { toMicros } from './to-micros'
import type { UsageEntry } from './usage-entry'

/** What counts against a budget: the settled cost, or the reservation while pending. */
export function chargedMicros(entry: UsageEntry): number {
  return entry.outcome === 'pending' ? toMicros(entry.reservedUsd) : toMicros(entry.costUsd ?? 0)
}
