import { describe, expect, it } from 'vitest'
import { utcDay } from '../../relay/usage/utc-day'

describe('utcDay', () => {
  it('names the UTC day of a time as YYYY-MM-DD', () => {
    expect(utcDay(Date.UTC(2025, 5, 30, 12))).toBe('2025-06-30')
    expect(utcDay(Date.UTC(2025, 5, 30, 0, 0, 0))).toBe('2025-06-30')
    expect(utcDay(Date.UTC(2025, 5, 30, 23, 59, 59, 999))).toBe('2025-06-30')
    expect(utcDay(Date.UTC(2025, 6, 1))).toBe('2025-07-01')
  })
})
