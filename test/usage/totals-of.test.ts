import { describe, expect, it } from 'vitest'
import { totalsOf } from '../../relay/usage/totals-of'
import { usageEntry } from './usage-entry-fixture'

describe('totalsOf', () => {
  it('is empty for an empty day', () => {
    expect(totalsOf([])).toEqual([])
  })

  it('adds each owner’s edits, delivered images, spend and reservations, owners in order of first appearance', () => {
    const entries = [
      usageEntry({ jobId: '1', owner: 'bob', outcome: 'succeeded', costUsd: 0.1, delivered: 2, reservedUsd: 0.16 }),
      usageEntry({ jobId: '2', owner: 'alice', outcome: 'pending', reservedUsd: 0.08 }),
      usageEntry({ jobId: '3', owner: 'bob', outcome: 'failed', costUsd: 0, delivered: 0, reservedUsd: 0.08 }),
      usageEntry({ jobId: '4', owner: 'bob', outcome: 'succeeded', costUsd: 0.2, delivered: 1, reservedUsd: 0.08 }),
      usageEntry({ jobId: '5', owner: 'alice', outcome: 'pending', reservedUsd: 0.04 }),
      usageEntry({ jobId: '6', owner: 'alice', outcome: 'succeeded', delivered: 3, reservedUsd: 0.12 })
    ]
    expect(totalsOf(entries)).toEqual([
      { owner: 'bob', edits: 3, images: 3, spentUsd: 0.3, reservedUsd: 0 },
      { owner: 'alice', edits: 3, images: 3, spentUsd: 0, reservedUsd: 0.12 }
    ])
  })

  it('reads any iterable once', () => {
    function* entries() {
      yield usageEntry({ outcome: 'canceled', costUsd: 0.01 })
    }
    expect(totalsOf(entries())).toEqual([{ owner: 'alice', edits: 1, images: 0, spentUsd: 0.01, reservedUsd: 0 }])
  })
})
