/**
 * The token bucket on an injected clock: the burst, the refill to the millisecond, the Retry-After
 * in whole seconds, and buckets kept apart per key and per rate.
 */
import { describe, expect, it } from 'vitest'
import { createTokenBucketLimiter } from '../../relay/auth/token-bucket-limiter'

function clockedLimiter(start = 1_000_000): {
  limiter: ReturnType<typeof createTokenBucketLimiter>
  advance: (ms: number) => void
  set: (ms: number) => void
} {
  let now = start
  return {
    limiter: createTokenBucketLimiter(() => now),
    advance: (ms) => {
      now += ms
    },
    set: (ms) => {
      now = ms
    }
  }
}

const takeAllAsync = async (
  limiter: ReturnType<typeof createTokenBucketLimiter>,
  key: string,
  perMinute: number,
  times: number
): Promise<string[]> => {
  const out: string[] = []
  for (let i = 0; i < times; i += 1) {
    const decision = await limiter.takeAsync(key, perMinute)
    out.push(decision.ok ? 'ok' : `wait ${decision.retryAfterSeconds}`)
  }
  return out
}

describe('createTokenBucketLimiter', () => {
  it('allows a full minute’s worth at once, then refuses', async () => {
    const { limiter } = clockedLimiter()
    expect(await takeAllAsync(limiter, 'alice', 3, 4)).toEqual(['ok', 'ok', 'ok', 'wait 20'])
  })

  it('refills perMinute a minute, to the millisecond', async () => {
    const { limiter, advance } = clockedLimiter()
    await takeAllAsync(limiter, 'alice', 3, 3)
    advance(19_999)
    expect(await takeAllAsync(limiter, 'alice', 3, 1)).toEqual(['wait 1'])
    advance(1)
    expect(await takeAllAsync(limiter, 'alice', 3, 2)).toEqual(['ok', 'wait 20'])
  })

  it('answers the whole seconds until the next request fits, at least 1', async () => {
    const { limiter, advance } = clockedLimiter()
    await takeAllAsync(limiter, 'a', 1, 1)
    expect(await takeAllAsync(limiter, 'a', 1, 1)).toEqual(['wait 60'])
    advance(1000)
    expect(await takeAllAsync(limiter, 'a', 1, 1)).toEqual(['wait 59'])
    advance(58_001)
    expect(await takeAllAsync(limiter, 'a', 1, 1)).toEqual(['wait 1'])
    advance(998)
    expect(await takeAllAsync(limiter, 'a', 1, 1)).toEqual(['wait 1'])
    advance(1)
    expect(await takeAllAsync(limiter, 'a', 1, 1)).toEqual(['ok'])
    // 7 a minute: the next request fits in 60000/7 ≈ 8571.4 ms, rounded up to 9 s.
    await takeAllAsync(limiter, 'b', 7, 7)
    expect(await takeAllAsync(limiter, 'b', 7, 1)).toEqual(['wait 9'])
    // 10000 a minute: 6 ms, still 1 s.
    await takeAllAsync(limiter, 'c', 10_000, 10_000)
    expect(await takeAllAsync(limiter, 'c', 10_000, 1)).toEqual(['wait 1'])
  })

  it('never refills past a full bucket', async () => {
    const { limiter, advance } = clockedLimiter()
    await takeAllAsync(limiter, 'alice', 2, 1)
    advance(10 * 60_000)
    expect(await takeAllAsync(limiter, 'alice', 2, 3)).toEqual(['ok', 'ok', 'wait 30'])
  })

  it('keeps a bucket per key', async () => {
    const { limiter } = clockedLimiter()
    expect(await takeAllAsync(limiter, 'alice', 1, 2)).toEqual(['ok', 'wait 60'])
    expect(await takeAllAsync(limiter, 'bob', 1, 2)).toEqual(['ok', 'wait 60'])
  })

  it('starts a fresh bucket when the rate changes', async () => {
    const { limiter } = clockedLimiter()
    expect(await takeAllAsync(limiter, 'alice', 1, 2)).toEqual(['ok', 'wait 60'])
    expect(await takeAllAsync(limiter, 'alice', 2, 3)).toEqual(['ok', 'ok', 'wait 30'])
  })

  it('does not let a clock that goes back take refill away or give it twice', async () => {
    const { limiter, set } = clockedLimiter()
    set(120_000)
    await takeAllAsync(limiter, 'alice', 2, 2)
    set(60_000)
    expect(await takeAllAsync(limiter, 'alice', 2, 1)).toEqual(['wait 30'])
    // Time is counted from the latest moment seen, not from the earlier one.
    set(120_000 + 29_999)
    expect(await takeAllAsync(limiter, 'alice', 2, 1)).toEqual(['wait 1'])
    set(120_000 + 30_000)
    expect(await takeAllAsync(limiter, 'alice', 2, 2)).toEqual(['ok', 'wait 30'])
  })

  it('counts whole milliseconds of a fractional clock', async () => {
    const { limiter, set } = clockedLimiter()
    set(0.9)
    await takeAllAsync(limiter, 'alice', 1, 1)
    set(59_999.9)
    expect(await takeAllAsync(limiter, 'alice', 1, 1)).toEqual(['wait 1'])
    set(60_000.2)
    expect(await takeAllAsync(limiter, 'alice', 1, 1)).toEqual(['ok'])
  })
})
