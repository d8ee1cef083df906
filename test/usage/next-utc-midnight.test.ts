import { describe, expect, it } from 'vitest'
import { nextUtcMidnight } from '../../relay/usage/next-utc-midnight'

describe('nextUtcMidnight', () => {
  it('is the start of the next UTC day, from any time in the day', () => {
    const next = Date.UTC(2025, 6, 1)
    expect(nextUtcMidnight(Date.UTC(2025, 5, 30))).toBe(next)
    expect(nextUtcMidnight(Date.UTC(2025, 5, 30, 12, 30))).toBe(next)
    expect(nextUtcMidnight(next - 1)).toBe(next)
    expect(nextUtcMidnight(next)).toBe(Date.UTC(2025, 6, 2))
  })

  it('crosses a month and a year end', () => {
    expect(nextUtcMidnight(Date.UTC(2024, 1, 28, 9))).toBe(Date.UTC(2024, 1, 29))
    expect(nextUtcMidnight(Date.UTC(2025, 11, 31, 23, 59))).toBe(Date.UTC(2026, 0, 1))
  })
})
