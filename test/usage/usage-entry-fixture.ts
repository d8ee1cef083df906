import type { UsageEntry } from '../../relay/usage/usage-entry'

/** A pending ledger entry of alice's, with any field replaced. */
export function usageEntry(fields: Partial<UsageEntry> = {}): UsageEntry {
  return {
    jobId: 'job-1',
    owner: 'alice',
    day: '2025-06-30',
    createdAt: Date.UTC(2025, 5, 30, 12),
    provider: 'runware',
    model: 'kontext-max',
    images: 1,
    reservedUsd: 0.08,
    outcome: 'pending',
    ...fields
  }
}
