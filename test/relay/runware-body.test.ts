/**
 * The Runware POST body is built as bytes around each reference's base64 (relay/providers/runware/runware-provider.ts,
 * `buildRunwareBody`) so an edit in flight holds no string of it (test/campaign/inflight-memory.test.ts).
 * These check it is the very bytes `JSON.stringify` would send, for every option and odd input.
 */
import { describe, expect, it } from 'vitest'
import type { ProviderEditInput } from '../../relay/providers/provider'
import { buildRunwareBody, buildRunwareTask, type RunwareCall } from '../../relay/providers/runware/runware-provider'
import { base64Length, writeBase64Into } from '../../relay/images/write-base64-into'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { offerOf, type ModelId } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'

function bytesOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = seed >>> 0
  for (let index = 0; index < length; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    bytes[index] = state >>> 24
  }
  return bytes
}

function input(model: ModelId, request: unknown, references: ProviderEditInput['references']): ProviderEditInput {
  return {
    request: EditRequest.parse(request),
    model,
    offer: offerOf('runware', model)!,
    size: KONTEXT_SIZES[1],
    aspectRatio: '16:9',
    references,
    signal: new AbortController().signal,
    onProgress: () => undefined
  }
}

const CONTENT_TYPES = ['image/png', 'image/jpeg'] as const
const CALL: RunwareCall = { taskUUID: '3f1c9a52-8d0e-4b7a-9c61-2e5f7d8a4b10', numberResults: 2, seed: 42, delivery: 'async' }

describe('the Runware body written as bytes', () => {
  it.each([
    ['kontext-max', { prompt: 'Make the sky purple' }, [5]],
    ['kontext-pro', { prompt: 'Quotes " and \\ backslashes, "inputs":{"referenceImages":[ and ünïcödé 🎨\u2028', outputFormat: 'jpeg', promptUpsampling: true, safetyTolerance: 5 }, [0, 1, 2, 3]],
    ['kontext-dev', { prompt: 'Steps and guidance', steps: 20, guidance: 3.5 }, [49151, 49152, 49153, 150001]]
  ] as const)('%s: the same bytes as JSON.stringify of the task', (model, request, sizes) => {
    const references = sizes.map((size, index) => ({ bytes: bytesOf(size, index + 1), contentType: CONTENT_TYPES[index % 2]!, width: 64, height: 36 }))
    const body = buildRunwareBody(input(model, request, references), CALL)
    const expected = new TextEncoder().encode(JSON.stringify([buildRunwareTask(input(model, request, references), CALL)]))
    expect(Buffer.from(body).equals(Buffer.from(expected))).toBe(true)
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual([buildRunwareTask(input(model, request, references), CALL)])
  })

  it('writes base64 from a view into a larger buffer, across steps, as Node encodes it', () => {
    const backing = bytesOf(200_000, 7)
    for (const [start, length] of [[0, 0], [3, 1], [5, 2], [1, 49152], [11, 98305], [17, 150_000]] as const) {
      const view = backing.subarray(start, start + length)
      const target = new Uint8Array(base64Length(length) + 4)
      expect(writeBase64Into(view, target, 2)).toBe(2 + base64Length(length))
      expect(Buffer.from(target.subarray(2, 2 + base64Length(length))).toString('latin1')).toBe(Buffer.from(view).toString('base64'))
    }
  })
})
