import { describe, expect, it } from 'vitest'
import { settled } from '../../relay/usage/settled'
import { usageEntry } from './usage-entry-fixture'

describe('settled', () => {
  it('keeps the entry and writes how it ended, with the error code of a failed edit', () => {
    const entry = usageEntry()
    const result = settled(entry, {
      outcome: 'failed',
      costUsd: 0,
      costEstimated: false,
      delivered: 0,
      errorCode: 'moderated',
      endedAt: 42
    })
    expect(result).toEqual({
      ...entry,
      outcome: 'failed',
      costUsd: 0,
      costEstimated: false,
      delivered: 0,
      errorCode: 'moderated',
      endedAt: 42
    })
    expect(entry.outcome).toBe('pending')
  })

  it('writes no errorCode key for an edit that succeeded', () => {
    const result = settled(usageEntry(), { outcome: 'succeeded', costUsd: 0.08, costEstimated: true, delivered: 1, endedAt: 7 })
    expect(result).toEqual({ ...usageEntry(), outcome: 'succeeded', costUsd: 0.08, costEstimated: true, delivered: 1, endedAt: 7 })
    expect(Object.hasOwn(result, 'errorCode')).toBe(false)
  })
})
