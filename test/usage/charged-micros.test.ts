import { describe, expect, it } from 'vitest'
import { chargedMicros } from '../../relay/usage/charged-micros'
import { usageEntry } from './usage-entry-fixture'

describe('chargedMicros', () => {
  it('charges the reservation while the edit is pending, whatever cost it carries', () => {
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'pending' }))).toBe(160_000)
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'pending', costUsd: 0.01 }))).toBe(160_000)
  })

  it('charges the settled cost once the edit ended, not the reservation', () => {
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'succeeded', costUsd: 0.1 }))).toBe(100_000)
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'failed', costUsd: 0 }))).toBe(0)
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'canceled', costUsd: 0.02 }))).toBe(20_000)
  })

  it('charges nothing for an ended edit with no cost recorded', () => {
    expect(chargedMicros(usageEntry({ reservedUsd: 0.16, outcome: 'succeeded' }))).toBe(0)
  })
})
