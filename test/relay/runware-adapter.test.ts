/**
 * The Runware adapter on its own, with an instant, recording `sleepAsync`: how long it waits
 * between submissions and when it gives up, without the real 1 s / 2 s back-off.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProviderDeps, ProviderEditInput } from '../../relay/providers/provider'
import { createRunwareProvider } from '../../relay/providers/runware/runware-provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { offerOf } from '../../shared/models'
import { AppError } from '../../shared/errors'
import { EditRequest } from '../../shared/relay-api'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { API_KEY, itKeepsSecretsOutOfResponsesAndLogs, REFERENCE_PNG, submissions, transcript } from './relay-harness'

const fakes: FakeRunware[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

interface AdapterHarness {
  provider: ReturnType<typeof createRunwareProvider>
  sleeps: number[]
  fetchCalls: () => number
}

function adapter(apiUrl: string, fetchImpl: typeof fetch = fetch, settings: Record<string, string> = {}): AdapterHarness {
  const sleeps: number[] = []
  let calls = 0
  const deps: ProviderDeps = {
    fetch: (input, init) => {
      calls += 1
      return fetchImpl(input, init)
    },
    // Instant, but still asynchronous and still abortable, like the real one.
    sleepAsync: (ms, signal) => {
      sleeps.push(ms)
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        setImmediate(resolve)
      })
    },
    randomUUID: () => randomUUID(),
    now: () => Date.now(),
    log: (event, fields) => transcript.logs.push(`${event} ${JSON.stringify(fields)}`)
  }
  return { provider: createRunwareProvider({ enabled: true, key: API_KEY, url: apiUrl, settings, offerOverrides: {} }, deps), sleeps, fetchCalls: () => calls }
}

function editInput(signal: AbortSignal): ProviderEditInput {
  return {
    request: EditRequest.parse({ prompt: 'Make the sky purple' }),
    model: 'kontext-max',
    offer: offerOf('runware', 'kontext-max')!,
    size: KONTEXT_SIZES[1],
    aspectRatio: '16:9',
    references: [{ bytes: REFERENCE_PNG, contentType: 'image/png', width: 64, height: 36 }],
    signal,
    onProgress: () => undefined
  }
}

async function startFakeAsync(): Promise<FakeRunware> {
  const fake = await startFakeRunwareAsync({ apiKey: API_KEY })
  fakes.push(fake)
  return fake
}

describe('waiting between submissions', () => {
  it('waits as long as Retry-After says after a 429', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 7 })
    const { provider, sleeps } = adapter(fake.url)

    const result = await provider.editAsync(editInput(AbortSignal.timeout(5000)))

    expect(result.images).toHaveLength(1)
    expect(sleeps).toEqual([7000])
    expect(fake.accepted).toHaveLength(1)
  })

  it('caps a long Retry-After at 30 s', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 3600 })
    const { provider, sleeps } = adapter(fake.url)

    await provider.editAsync(editInput(AbortSignal.timeout(5000)))
    expect(sleeps).toEqual([30_000])
  })

  it('backs off 1 s, then 2 s, and gives up after three submissions with provider_unavailable', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 503 }, 3)
    const { provider, sleeps } = adapter(fake.url)

    const outcome = provider.editAsync(editInput(AbortSignal.timeout(5000)))

    await expect(outcome).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(sleeps).toEqual([1000, 2000])
    expect(submissions(fake)).toHaveLength(3)
    expect(fake.accepted).toHaveLength(0)
  })

  it('gives up with provider_error after three garbled 200 answers, never billed', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'malformed' }, 3)
    const { provider, sleeps } = adapter(fake.url)

    await expect(provider.editAsync(editInput(AbortSignal.timeout(5000)))).rejects.toMatchObject({ code: 'provider_error' })
    expect(sleeps).toEqual([1000, 2000])
    expect(submissions(fake)).toHaveLength(3)
    expect(fake.accepted).toHaveLength(0)
    expect(fake.duplicateSubmissions).toBe(0)
  })

  it('does not retry a refusal that cannot succeed (402)', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 402 })
    const { provider, sleeps } = adapter(fake.url)

    await expect(provider.editAsync(editInput(AbortSignal.timeout(5000)))).rejects.toMatchObject({ code: 'insufficient_credit' })
    expect(sleeps).toEqual([])
    expect(submissions(fake)).toHaveLength(1)
  })
})

describe('a resubmit answered conflictTaskUUID', () => {
  it('follows an async task Runware already has, billed once, without a third submission', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'reset-after-accept' })
    fake.failNextPoll({ kind: 'not-found' })
    const { provider, sleeps } = adapter(fake.url, fetch, { RUNWARE_DELIVERY: 'async' })

    const result = await provider.editAsync(editInput(AbortSignal.timeout(5000)))

    expect(result.images).toHaveLength(1)
    expect(submissions(fake)).toHaveLength(2)
    expect(submissions(fake)[1]?.deliveryMethod).toBe('async')
    expect(fake.accepted).toHaveLength(1)
    expect(fake.duplicateSubmissions).toBe(1)
    // One back-off between the submissions; the conflict itself is not waited out.
    expect(sleeps[0]).toBe(1000)
  })
})

describe('a host that cannot be reached at all', () => {
  it('gives up with provider_unavailable instead of polling until the deadline', async () => {
    const unreachable: typeof fetch = () => Promise.reject(new TypeError('fetch failed'))
    const { provider, fetchCalls } = adapter('http://127.0.0.1:9/v1', unreachable)

    const error = await provider.editAsync(editInput(AbortSignal.timeout(2000))).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'provider_unavailable' })
    expect(fetchCalls()).toBeLessThan(50)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
