/**
 * fal's queue status stream (server-sent events) as a push beside the poll: it shows progress at
 * once and ends the poll's wait the moment fal says COMPLETED; without it, or with a broken one,
 * the poll alone finishes the edit. Against the strict fake fal (test/fakes/fal-server.ts).
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createFalProvider } from '../../relay/providers/fal/fal-provider'
import type { ProviderDeps, ProviderEditInput, ProviderProgress } from '../../relay/providers/provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { PROVIDERS } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import { startFakeFalAsync, type FakeFal } from '../fakes/fal-server'
import { makePng } from '../fakes/make-image'

const KEY = `fal-id-${randomUUID()}:fal-secret-${randomUUID()}`

async function startFakeAsync(runMs: number): Promise<FakeFal> {
  const fake = await startFakeFalAsync({ key: KEY, queueMs: 50, runMs })
  onTestFinished(() => fake.close())
  return fake
}

interface Logged {
  event: string
  fields: Record<string, unknown>
}

/**
 * The adapter with a sleep of `sleep` kind: `forever` never ends a wait by itself (only an abort, or
 * a push that cuts it short, does), so an edit that finishes shows the push did it.
 */
function adapter(fake: FakeFal, sleep: 'forever' | 'short', logs: Logged[]) {
  const deps: ProviderDeps = {
    fetch,
    sleepAsync: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        if (sleep === 'short') setTimeout(resolve, 10)
      }),
    randomUUID,
    now: Date.now,
    log: (event, fields) => void logs.push({ event, fields })
  }
  return createFalProvider({ enabled: true, key: KEY, url: fake.url, settings: { FAL_STORAGE_URL: fake.url }, offerOverrides: {} }, deps)
}

function input(signal: AbortSignal, progress: ProviderProgress[]): ProviderEditInput {
  return {
    request: EditRequest.parse({ prompt: 'Make the sky purple' }),
    model: 'kontext-max',
    offer: PROVIDERS.fal.offers['kontext-max'],
    size: KONTEXT_SIZES[1],
    aspectRatio: '16:9',
    references: [{ bytes: makePng(64, 36), contentType: 'image/png', width: 64, height: 36 }],
    signal,
    onProgress: (update) => void progress.push(update)
  }
}

const statusPolls = (fake: FakeFal) => fake.requests.filter((request) => /\/status$/.test(request.path)).length
const streams = (fake: FakeFal) => fake.requests.filter((request) => /\/status\/stream$/.test(request.path))

describe('fal’s status stream', () => {
  it('ends the poll’s wait when fal says COMPLETED: the edit finishes though no wait ends by itself', async () => {
    const fake = await startFakeAsync(300)
    const logs: Logged[] = []
    const progress: ProviderProgress[] = []
    const result = await adapter(fake, 'forever', logs).editAsync(input(AbortSignal.timeout(8000), progress))

    expect(result.images).toHaveLength(1)
    // The stream asked as fal-js asks it: the status URL plus /stream, logs off, the key, event-stream.
    expect(streams(fake)).toEqual([
      expect.objectContaining({
        method: 'GET',
        query: 'logs=0',
        headers: expect.objectContaining({ authorization: `Key ${KEY}`, accept: 'text/event-stream' })
      })
    ])
    // The first check at once (IN_QUEUE), then the one the push asked for (COMPLETED).
    expect(statusPolls(fake)).toBe(2)
    // Queued, then running as fal moved on (from the stream: the poll's second look found COMPLETED).
    expect(progress.at(-1)).toEqual({ status: 'running' })
    expect(new Set(progress.map((update) => update.status))).toEqual(new Set(['queued', 'running']))
  })

  it('without a stream (404), the poll alone finishes the edit, and the relay says why it did not listen', async () => {
    const fake = await startFakeAsync(100)
    fake.failNext({ kind: 'no-status-stream' })
    const logs: Logged[] = []
    const result = await adapter(fake, 'short', logs).editAsync(input(AbortSignal.timeout(8000), []))

    expect(result.images).toHaveLength(1)
    expect(statusPolls(fake)).toBeGreaterThan(2)
    expect(logs.filter((line) => line.event === 'provider.status_stream_ended').map((line) => line.fields.reason)).toEqual([
      'answered 404 application/json'
    ])
  })

  it('with a garbled stream, it stops listening, and the poll finishes the edit', async () => {
    const fake = await startFakeAsync(100)
    fake.failNext({ kind: 'garbled-status-stream' })
    const logs: Logged[] = []
    const progress: ProviderProgress[] = []
    const result = await adapter(fake, 'short', logs).editAsync(input(AbortSignal.timeout(8000), progress))

    expect(result.images).toHaveLength(1)
    expect(logs.filter((line) => line.event === 'provider.status_stream_ended').map((line) => line.fields.reason)).toEqual([
      'an event that is not a queue status'
    ])
    // "DONE" is no status: nothing was shown from it.
    expect(progress.every((update) => update.status === 'queued' || update.status === 'running')).toBe(true)
  })

  it('says nothing once the edit is over: the stream is closed by the relay, not reported as a failure', async () => {
    const fake = await startFakeAsync(50)
    const logs: Logged[] = []
    await adapter(fake, 'short', logs).editAsync(input(AbortSignal.timeout(8000), []))
    await new Promise((resolve) => setTimeout(resolve, 100))
    // The fake closes its stream after COMPLETED, which may be logged; the relay's own hanging up (an abort) never is.
    const reasons = logs.filter((line) => line.event === 'provider.status_stream_ended').map((line) => line.fields.reason)
    expect(reasons.filter((reason) => reason !== 'closed by fal')).toEqual([])
  })
})
