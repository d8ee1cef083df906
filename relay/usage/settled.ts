import type { UsageEntry, UsageSettlement } from './usage-entry'

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
