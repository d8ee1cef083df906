import { describe, expect, it } from 'vitest'
import { fitsBudget } from '../../relay/usage/fits-budget'
import { usageEntry } from './usage-entry-fixture'

const spent = usageEntry({ jobId: 'spent', outcome: 'succeeded', costUsd: 0.5, reservedUsd: 0.16 })
const held = usageEntry({ jobId: 'held', outcome: 'pending', reservedUsd: 0.3 })

describe('fitsBudget', () => {
  it('lets everything through without a budget', () => {
    expect(fitsBudget([spent, held], usageEntry({ reservedUsd: 100 }), null)).toEqual({ ok: true })
  })

  it('fits an edit that brings the day exactly to the budget, and refuses one a micro-dollar over', () => {
    // 0.5 spent + 0.3 held = 0.8 charged.
    expect(fitsBudget([spent, held], usageEntry({ reservedUsd: 0.2 }), 1)).toEqual({ ok: true })
    expect(fitsBudget([spent, held], usageEntry({ reservedUsd: 0.199999 }), 1)).toEqual({ ok: true })
    expect(fitsBudget([spent, held], usageEntry({ reservedUsd: 0.200001 }), 1)).toEqual({ ok: false, chargedUsd: 0.8 })
  })

  it('adds in micro-dollars, so 0.1 + 0.2 fits a budget of 0.3', () => {
    const tenCents = usageEntry({ jobId: 'a', outcome: 'pending', reservedUsd: 0.1 })
    expect(fitsBudget([tenCents], usageEntry({ reservedUsd: 0.2 }), 0.3)).toEqual({ ok: true })
  })

  it("counts only the same owner's entries", () => {
    const bobs = usageEntry({ jobId: 'bob', owner: 'bob', outcome: 'pending', reservedUsd: 5 })
    expect(fitsBudget([bobs], usageEntry({ reservedUsd: 1 }), 1)).toEqual({ ok: true })
    expect(fitsBudget([bobs, held], usageEntry({ reservedUsd: 0.8 }), 1)).toEqual({ ok: false, chargedUsd: 0.3 })
  })

  it('refuses an edit priced over the budget on an empty day, with nothing charged', () => {
    expect(fitsBudget([], usageEntry({ reservedUsd: 0.08 }), 0.05)).toEqual({ ok: false, chargedUsd: 0 })
    expect(fitsBudget([], usageEntry({ reservedUsd: 0 }), 0)).toEqual({ ok: true })
  })
})
