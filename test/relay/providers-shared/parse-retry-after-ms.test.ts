import { describe, expect, it } from 'vitest'
import { parseRetryAfterMs } from '../../../relay/providers/shared/parse-retry-after-ms'

const NOW = Date.parse('2025-01-01T00:00:00Z')

describe('parseRetryAfterMs', () => {
  it('is undefined when the header is absent or blank', () => {
    expect(parseRetryAfterMs(null, NOW, 30_000)).toBeUndefined()
    expect(parseRetryAfterMs('', NOW, 30_000)).toBeUndefined()
    expect(parseRetryAfterMs('   ', NOW, 30_000)).toBeUndefined()
  })

  it('reads seconds, fractions and zero included', () => {
    expect(parseRetryAfterMs('2', NOW, 30_000)).toBe(2000)
    expect(parseRetryAfterMs('0', NOW, 30_000)).toBe(0)
    // Date.parse cannot read this one, so only the seconds rule makes it no wait.
    expect(parseRetryAfterMs('0.0', NOW, 30_000)).toBe(0)
    expect(parseRetryAfterMs('1.5', NOW, 30_000)).toBe(1500)
    expect(parseRetryAfterMs(' 3 ', NOW, 30_000)).toBe(3000)
  })

  it('caps seconds at the cap, and keeps a value at it', () => {
    expect(parseRetryAfterMs('30', NOW, 30_000)).toBe(30_000)
    expect(parseRetryAfterMs('31', NOW, 30_000)).toBe(30_000)
    expect(parseRetryAfterMs('29.999', NOW, 30_000)).toBe(29_999)
  })

  it('reads an HTTP date as the time left until it, capped', () => {
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', NOW, 30_000)).toBe(5000)
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:01:00 GMT', NOW, 30_000)).toBe(30_000)
  })

  it('takes a date already past as no wait', () => {
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', NOW, 30_000)).toBe(0)
  })

  it('does not take a negative number of seconds as seconds', () => {
    // Not seconds; Date.parse reads "-5" as a year long past, so it is no wait at all.
    expect(parseRetryAfterMs('-5', NOW, 30_000)).toBe(0)
  })

  it('does not take Infinity as seconds', () => {
    expect(parseRetryAfterMs('Infinity', NOW, 30_000)).toBeUndefined()
  })

  it('is undefined when the header is neither seconds nor a date', () => {
    expect(parseRetryAfterMs('soon', NOW, 30_000)).toBeUndefined()
  })
})
