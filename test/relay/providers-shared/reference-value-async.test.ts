import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { ReferenceImage } from '../../../relay/providers/provider'
import { referenceValueAsync, type ReferenceUpload } from '../../../relay/providers/shared/reference-value-async'
import type { SubmitOutcome } from '../../../relay/providers/shared/submit-with-retries-async'

const reference = (size: number): ReferenceImage => ({
  bytes: new Uint8Array(size).fill(255),
  contentType: 'image/png',
  width: 1,
  height: 1
})

function uploadOf(outcomes: Array<SubmitOutcome<string>>, inlineMaxBytes = 3) {
  const calls: Array<[ReferenceImage, number, number, AbortSignal]> = []
  const upload: ReferenceUpload = {
    provider: 'fal',
    inlineMaxBytes,
    attemptAsync: async (image, index, attempt, signal) => {
      calls.push([image, index, attempt, signal])
      return outcomes[attempt - 1]!
    }
  }
  return { upload, calls }
}

describe('referenceValueAsync', () => {
  it('inlines a reference up to the inline size as a data URI', async () => {
    const { upload, calls } = uploadOf([])
    const logs: unknown[] = []
    const deps = { sleepAsync: async () => undefined, log: (...entry: unknown[]) => logs.push(entry) }
    const value = await referenceValueAsync(reference(3), 0, new AbortController().signal, upload, deps)
    expect(value).toBe('data:image/png;base64,////')
    expect(calls).toEqual([])
    expect(logs).toEqual([])
  })

  it('uploads a reference one byte over the inline size, retrying a refusal and logging it', async () => {
    const refusal = new AppError('rate_limited', undefined, { detail: 'slow down' })
    const { upload, calls } = uploadOf([
      { kind: 'refused', error: refusal, retryAfterMs: 250 },
      { kind: 'accepted', value: 'https://storage.test/ref.png' }
    ])
    const logs: Array<[string, Record<string, unknown>]> = []
    const sleeps: number[] = []
    const signal = new AbortController().signal
    const image = reference(4)
    const value = await referenceValueAsync(image, 1, signal, upload, {
      sleepAsync: async (ms) => {
        sleeps.push(ms)
      },
      log: (event, fields) => logs.push([event, fields])
    })
    expect(value).toBe('https://storage.test/ref.png')
    expect(calls).toEqual([
      [image, 1, 1, signal],
      [image, 1, 2, signal]
    ])
    expect(sleeps).toEqual([250])
    expect(logs).toEqual([
      ['provider.upload_retry', { provider: 'fal', reference: 2, attempt: 1, waitMs: 250, code: 'rate_limited', detail: 'slow down' }]
    ])
  })

  it("fails with the upload's final error", async () => {
    const error = new AppError('payload_too_large')
    const { upload } = uploadOf([{ kind: 'final', error }])
    await expect(
      referenceValueAsync(reference(10), 0, new AbortController().signal, upload, {
        sleepAsync: async () => undefined,
        log: () => undefined
      })
    ).rejects.toBe(error)
  })
})
