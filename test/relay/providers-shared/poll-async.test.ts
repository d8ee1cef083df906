import { describe, expect, it } from 'vitest'
import { pollAsync, type PollOptions } from '../../../relay/providers/shared/poll-async'

/** Polls until `check` has been called `calls` times and returns the waits asked of the sleep. */
async function waitsOfAsync(calls: number, options: Partial<PollOptions> = {}): Promise<number[]> {
  const waits: number[] = []
  const signal = new AbortController().signal
  let checks = 0
  const value = await pollAsync(async () => (++checks === calls ? 'done' : undefined), {
    signal,
    sleepAsync: async (ms, given) => {
      expect(given).toBe(signal)
      waits.push(ms)
    },
    ...options
  })
  expect(value).toBe('done')
  return waits
}

describe('pollAsync', () => {
  it('returns the first value without sleeping', async () => {
    expect(await waitsOfAsync(1)).toEqual([])
  })

  it('keeps polling past falsy values that are not undefined', async () => {
    let checks = 0
    const value = await pollAsync(async () => (++checks === 2 ? 0 : undefined), {
      signal: new AbortController().signal,
      sleepAsync: async () => undefined
    })
    expect(value).toBe(0)
    expect(checks).toBe(2)
  })

  it('waits 0.4 s for the first 15 s, then backs off ×1.5 up to 5 s', async () => {
    const waits = await waitsOfAsync(50)
    // 15 s at 0.4 s is 37.5 waits: the 38th makes 15.2 s, so the 39th is the first longer one.
    expect(waits.slice(0, 38)).toEqual(Array.from({ length: 38 }, () => 400))
    expect(waits.slice(38, 45)).toEqual([600, 900, 1350, 2025, 3037.5, 4556.25, 5000])
    expect(waits.slice(45)).toEqual([5000, 5000, 5000, 5000])
  })

  it('backs off once the waits reach the hold exactly, not only past it', async () => {
    expect(await waitsOfAsync(6, { firstMs: 100, holdMs: 300, factor: 2, capMs: 1000 })).toEqual([100, 100, 100, 200, 400])
  })

  it('holds the first wait until the hold is reached', async () => {
    expect(await waitsOfAsync(5, { firstMs: 100, holdMs: 350, factor: 2, capMs: 1000 })).toEqual([100, 100, 100, 100])
  })

  it('takes its factor and cap from the options', async () => {
    expect(await waitsOfAsync(7, { firstMs: 10, holdMs: 0, factor: 3, capMs: 500 })).toEqual([10, 30, 90, 270, 500, 500])
  })
})
