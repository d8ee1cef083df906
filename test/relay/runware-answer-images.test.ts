import { describe, expect, it } from 'vitest'
import { postRunwareAsync } from '../../relay/providers/runware/post-runware-async'
import type { RunwareContext } from '../../relay/providers/runware/runware-context'
import { toRunwareResultAsync } from '../../relay/providers/runware/to-runware-result-async'
import { makePng } from '../fakes/make-image'

const PNG = makePng(640, 480, 3)
const BASE64 = Buffer.from(PNG).toString('base64')
const SMALL = makePng(2, 2, 1)

/** A context whose fetch answers `body` once, as Runware would (only `fetch` and the nonce matter here). */
function contextAnswering(body: string): RunwareContext {
  return {
    apiUrl: 'http://127.0.0.1:1/v1',
    apiKey: 'key',
    log: () => undefined,
    deps: {
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
      sleepAsync: async () => undefined,
      randomUUID: () => 'a5c1f3d2-0000-4000-8000-000000000000',
      now: () => 0,
      log: () => undefined
    }
  }
}

async function imagesOfAsync(body: string): Promise<Uint8Array[]> {
  const context = contextAnswering(body)
  const signal = new AbortController().signal
  const answer = await postRunwareAsync(context, '[]', signal)
  if (answer.kind !== 'ok') throw new Error(`not ok: ${answer.kind}`)
  const items = answer.envelope.data ?? []
  const result = await toRunwareResultAsync(context, 't', { items, failed: 0 }, items.length, signal)
  return result.images.map((image) => image.bytes)
}

describe('the images in Runware’s answers', () => {
  it('decodes imageBase64Data to the image’s own bytes, compact or pretty-printed, one item or several', async () => {
    const items = [
      { taskType: 'imageInference', taskUUID: 't', imageBase64Data: BASE64, seed: 3, cost: 0.04 },
      { taskType: 'imageInference', taskUUID: 't', imageBase64Data: BASE64, seed: 4, cost: 0.04 }
    ]
    for (const body of [JSON.stringify({ data: items }), JSON.stringify({ data: items }, null, 2)]) {
      expect(await imagesOfAsync(body)).toEqual([new Uint8Array(PNG), new Uint8Array(PNG)])
    }
  })

  it('decodes an imageDataURI, and small and large images alike', async () => {
    const body = JSON.stringify({
      data: [
        { taskUUID: 't', imageDataURI: `data:image/png;base64,${BASE64}` },
        { taskUUID: 't', imageBase64Data: Buffer.from(SMALL).toString('base64') },
        { taskUUID: 't', imageDataURI: `data:image/png;base64,${Buffer.from(SMALL).toString('base64')}` }
      ]
    })
    expect(await imagesOfAsync(body)).toEqual([new Uint8Array(PNG), new Uint8Array(SMALL), new Uint8Array(SMALL)])
  })

  it('refuses a long imageDataURI that is not a base64 data: URI, as it refuses a short one', async () => {
    for (const uri of [`data:image/png,${BASE64}`, `https://example.com/${BASE64}`, `data:;base64,${BASE64}`]) {
      const body = JSON.stringify({ data: [{ taskUUID: 't', imageDataURI: uri }] })
      await expect(imagesOfAsync(body)).rejects.toMatchObject({ code: 'provider_error' })
    }
  })
})
