import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import {
  refusalOf,
  retryAfterMsOf,
  submitWithRetriesAsync,
  type Recovery,
  type SubmitOutcome,
  type SubmitSteps
} from '../../../relay/providers/shared/submit-with-retries-async'

const NOW = Date.parse('2025-01-01T00:00:00Z')

interface Run<T> {
  result: Promise<T>
  sleeps: number[]
  attempts: number[]
  recoveries: number[]
  retries: Array<{ attempt: number; waitMs: number; error: AppError }>
}

function run<T>(outcomes: Array<SubmitOutcome<T>>, recoveries?: Array<Recovery<T>>): Run<T> {
  const signal = new AbortController().signal
  const state: Omit<Run<T>, 'result'> = { sleeps: [], attempts: [], recoveries: [], retries: [] }
  const steps: SubmitSteps<T> = {
    attemptAsync: async (attempt) => {
      state.attempts.push(attempt)
      return outcomes[attempt - 1]!
    },
    onRetry: (retry) => state.retries.push(retry)
  }
  if (recoveries !== undefined) {
    steps.recoverAsync = async (attempt) => {
      state.recoveries.push(attempt)
      return recoveries[attempt - 1]!
    }
  }
  const result = submitWithRetriesAsync<T>(
    {
      sleepAsync: async (ms, given) => {
        expect(given).toBe(signal)
        state.sleeps.push(ms)
      }
    },
    signal,
    steps
  )
  return { result, ...state }
}

const refused = (retryAfterMs?: number, error = new AppError('rate_limited')): SubmitOutcome<string> => ({
  kind: 'refused',
  error,
  retryAfterMs
})

describe('submitWithRetriesAsync', () => {
  it('returns an accepted value at once', async () => {
    const attempt = run([{ kind: 'accepted', value: 'job' }])
    expect(await attempt.result).toBe('job')
    expect(attempt.sleeps).toEqual([])
  })

  it('throws a final error without retrying', async () => {
    const error = new AppError('invalid_request')
    const attempt = run<string>([{ kind: 'final', error }])
    await expect(attempt.result).rejects.toBe(error)
    expect(attempt.attempts).toEqual([1])
  })

  it('sends a refused submit again, backing off 1 s then 2 s, at most three times', async () => {
    const last = new AppError('rate_limited')
    const attempt = run([refused(), refused(), refused(undefined, last)])
    await expect(attempt.result).rejects.toBe(last)
    expect(attempt.attempts).toEqual([1, 2, 3])
    expect(attempt.sleeps).toEqual([1000, 2000])
    expect(attempt.retries.map(({ attempt: n, waitMs }) => [n, waitMs])).toEqual([
      [1, 1000],
      [2, 2000]
    ])
  })

  it("waits the host's Retry-After instead when it gave one", async () => {
    const first = new AppError('rate_limited')
    const attempt = run([refused(0, first), refused(7000), { kind: 'accepted', value: 'job' }])
    expect(await attempt.result).toBe('job')
    expect(attempt.sleeps).toEqual([0, 7000])
    expect(attempt.retries[0]).toEqual({ attempt: 1, waitMs: 0, error: first })
  })

  it('fails an ambiguous submit when the adapter cannot recover', async () => {
    const error = new AppError('provider_unavailable')
    const attempt = run<string>([{ kind: 'ambiguous', error }])
    await expect(attempt.result).rejects.toBe(error)
    expect(attempt.attempts).toEqual([1])
  })

  it('fails an ambiguous submit when the host cannot tell', async () => {
    const error = new AppError('provider_unavailable')
    const attempt = run<string>([{ kind: 'ambiguous', error }], [{ kind: 'unknown' }])
    await expect(attempt.result).rejects.toBe(error)
    expect(attempt.recoveries).toEqual([1])
    expect(attempt.sleeps).toEqual([])
  })

  it('follows the job the host found, even on the last attempt', async () => {
    const ambiguous: SubmitOutcome<string> = { kind: 'ambiguous', error: new AppError('provider_unavailable') }
    const attempt = run([refused(), refused(), ambiguous], [{ kind: 'absent' }, { kind: 'absent' }, { kind: 'found', value: 'job' }])
    expect(await attempt.result).toBe('job')
    expect(attempt.recoveries).toEqual([3])
  })

  it('submits again when the host never took it, honouring its Retry-After', async () => {
    const attempt = run<string>(
      [
        { kind: 'ambiguous', error: new AppError('provider_unavailable'), retryAfterMs: 500 },
        { kind: 'ambiguous', error: new AppError('provider_unavailable') },
        { kind: 'accepted', value: 'job' }
      ],
      [{ kind: 'absent' }, { kind: 'absent' }]
    )
    expect(await attempt.result).toBe('job')
    expect(attempt.sleeps).toEqual([500, 2000])
  })

  it('fails after the third absent recovery', async () => {
    const error = new AppError('provider_unavailable')
    const attempt = run<string>(
      [
        { kind: 'ambiguous', error: new AppError('provider_unavailable') },
        { kind: 'ambiguous', error: new AppError('provider_unavailable') },
        { kind: 'ambiguous', error }
      ],
      [{ kind: 'absent' }, { kind: 'absent' }, { kind: 'absent' }]
    )
    await expect(attempt.result).rejects.toBe(error)
    expect(attempt.attempts).toEqual([1, 2, 3])
  })

  it('retries without an onRetry step', async () => {
    let attempts = 0
    const value = await submitWithRetriesAsync<string>({ sleepAsync: async () => undefined }, new AbortController().signal, {
      attemptAsync: async () => (++attempts === 2 ? { kind: 'accepted', value: 'job' } : refused())
    })
    expect(value).toBe('job')
  })
})

describe('refusalOf and retryAfterMsOf', () => {
  const error = new AppError('rate_limited')

  it('takes a 429 or a 503 for a refusal, with its Retry-After', () => {
    expect(refusalOf(new Response(null, { status: 429, headers: { 'retry-after': '3' } }), error, NOW)).toEqual({
      kind: 'refused',
      error,
      retryAfterMs: 3000
    })
    expect(refusalOf(new Response(null, { status: 503 }), error, NOW)).toEqual({ kind: 'refused', error, retryAfterMs: undefined })
  })

  it.each([500, 502, 504, 428, 400])('leaves a %i to the adapter', (status) => {
    expect(refusalOf(new Response(null, { status }), error, NOW)).toBeUndefined()
  })

  it('caps Retry-After at 30 s, from seconds or a date', () => {
    expect(retryAfterMsOf(new Response(null, { headers: { 'retry-after': '30' } }), NOW)).toBe(30_000)
    expect(retryAfterMsOf(new Response(null, { headers: { 'retry-after': '31' } }), NOW)).toBe(30_000)
    expect(retryAfterMsOf(new Response(null, { headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' } }), NOW)).toBe(10_000)
    expect(retryAfterMsOf(new Response(null), NOW)).toBeUndefined()
  })
})
