import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { makeJpeg, makePng } from '../fakes/make-image'
import {
  editForm,
  itKeepsSecretsOutOfResponsesAndLogs,
  readErrorAsync,
  recordAsync,
  REFERENCE_PNG,
  startRelayHarnessAsync,
  TOKEN,
  type RelayHarness
} from './relay-harness'

/** POSTs the form and checks the relay refused it with `status`/`code` before calling the host. */
async function expectRefusedAsync(relay: RelayHarness, form: FormData, status: number, code: string, message: RegExp): Promise<void> {
  const response = await relay.postEditAsync(form)
  expect(response.status).toBe(status)
  const error = await readErrorAsync(response)
  expect(error).toEqual({ code, message: expect.stringMatching(message) })
  expect(relay.fake!.requests, 'nothing reaches the host').toHaveLength(0)
  expect([...relay.store.values()], 'no job is created').toHaveLength(0)
}

describe('the request part', () => {
  it('refuses a request part that is not JSON', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm('{"prompt": "Make it blue"'), 400, 'invalid_request', /"request" part is not valid JSON/)
  })

  it('refuses an unknown field and names it', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ prompt: 'Make it blue', colour: 'blue' }), 400, 'invalid_request', /Unknown field: colour/)
  })

  it('refuses a prompt shorter than two characters, counting after trimming', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ prompt: 'x' }), 400, 'invalid_request', /prompt: .*at least 2 characters/)
    await expectRefusedAsync(relay, editForm({ prompt: '   x   ' }), 400, 'invalid_request', /prompt: .*at least 2 characters/)
  })

  it('refuses a request without a prompt', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ numImages: 1 }), 400, 'invalid_request', /^prompt: /)
  })

  it('refuses numImages 5 (Kontext returns at most 4)', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ prompt: 'Make it blue', numImages: 5 }), 400, 'invalid_request', /^numImages: /)
  })

  it('refuses an aspect ratio Kontext does not offer', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ prompt: 'Make it blue', aspectRatio: '5:4' }), 400, 'invalid_request', /^aspectRatio: /)
  })

  it('refuses a model the catalogue does not have', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(
      relay,
      editForm({ prompt: 'Make it blue', model: 'kontext-ultra' }),
      400,
      'invalid_request',
      /^Unknown model "kontext-ultra"\. Models: kontext-max, kontext-pro, kontext-dev, flux2-flex, flux2-pro, flux2-max, flux2-dev, flux2-klein-4b, flux2-klein-9b/
    )
  })

  it('refuses a form with two request parts', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' })
    form.append('request', JSON.stringify({ prompt: 'Make it red' }))
    await expectRefusedAsync(relay, form, 400, 'invalid_request', /exactly one "request" part/)
  })

  it('refuses a part it does not know and names it', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' })
    form.append('mask', new Blob([new Uint8Array(REFERENCE_PNG)], { type: 'image/png' }), 'mask.png')
    await expectRefusedAsync(relay, form, 400, 'invalid_request', /Unknown part "mask"/)
  })
})

describe('the body', () => {
  it('refuses a body that is not multipart/form-data', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.authedAsync('/v1/edits', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Make it blue' })
    })
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toEqual({ code: 'invalid_request', message: expect.stringMatching(/multipart\/form-data/) })
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('refuses a multipart body that cannot be parsed', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.authedAsync('/v1/edits', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: 'this is not a multipart body'
    })
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toEqual({ code: 'invalid_request', message: expect.stringMatching(/multipart/) })
  })

  it('answers 413 to a body over maxRequestBytes (no Content-Length, body streamed)', async () => {
    const relay = await startRelayHarnessAsync({ config: { maxRequestBytes: 2048 } })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }, [makePng(300, 300, 9)]))

    expect(response.status).toBe(413)
    expect(await readErrorAsync(response)).toEqual({
      code: 'payload_too_large',
      message: expect.stringMatching(/larger than this relay accepts/)
    })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('answers 413 to a declared Content-Length over maxRequestBytes', async () => {
    const relay = await startRelayHarnessAsync({ config: { maxRequestBytes: 2048 } })
    const encoded = new Response(editForm({ prompt: 'Make it blue' }, [makePng(300, 300, 9)]))
    const body = new Uint8Array(await encoded.arrayBuffer())
    expect(body.length).toBeGreaterThan(2048)
    const response = await relay.authedAsync('/v1/edits', {
      method: 'POST',
      headers: { 'content-type': encoded.headers.get('content-type')!, 'content-length': String(body.length) },
      body
    })

    expect(response.status).toBe(413)
    expect((await readErrorAsync(response)).code).toBe('payload_too_large')
  })

  it('answers 413 over real HTTP, as a browser upload would arrive', async () => {
    const relay = await startRelayHarnessAsync({ config: { maxRequestBytes: 2048 } })
    const server = serve({ fetch: relay.app.fetch, hostname: '127.0.0.1', port: 0 })
    try {
      await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
      const { port } = server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/v1/edits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, origin: 'null' },
        body: editForm({ prompt: 'Make it blue' }, [makePng(300, 300, 9)])
      })
      await recordAsync(response)
      expect(response.status).toBe(413)
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      expect((await readErrorAsync(response)).code).toBe('payload_too_large')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('accepts a body just under maxRequestBytes', async () => {
    const small = makePng(8, 8, 1)
    const encoded = new Uint8Array(await new Response(editForm({ prompt: 'Make it blue' }, [small])).arrayBuffer())
    const relay = await startRelayHarnessAsync({ config: { maxRequestBytes: encoded.length + 64 } })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }, [small]))
    expect(response.status).toBe(202)
  })
})

describe('the image parts', () => {
  it('refuses a request with no image part', async () => {
    const relay = await startRelayHarnessAsync()
    await expectRefusedAsync(relay, editForm({ prompt: 'Make it blue' }, []), 400, 'invalid_request', /at least one "image" part/)
  })

  it('refuses a text file sent as the image', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' }, [{ bytes: 'just some notes\n', type: 'text/plain', filename: 'notes.txt' }])
    await expectRefusedAsync(relay, form, 400, 'invalid_image', /^The image is not a complete PNG, JPEG or WebP image\.$/)
  })

  it('refuses a text file even when it claims to be image/png', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' }, [{ bytes: 'not a png', type: 'image/png', filename: 'frame.png' }])
    await expectRefusedAsync(relay, form, 400, 'invalid_image', /not a complete PNG, JPEG or WebP/)
  })

  it('refuses an image sent as a text field instead of a file', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' }, [])
    form.append('image', 'data:image/png;base64,iVBORw0KGgo=')
    await expectRefusedAsync(relay, form, 400, 'invalid_request', /file part, not text/)
  })

  it('refuses a truncated PNG (an upload cut short)', async () => {
    const relay = await startRelayHarnessAsync()
    const truncated = REFERENCE_PNG.subarray(0, REFERENCE_PNG.length - 30)
    await expectRefusedAsync(relay, editForm({ prompt: 'Make it blue' }, [truncated]), 400, 'invalid_image', /not a complete PNG/)
  })

  it('refuses a truncated JPEG', async () => {
    const relay = await startRelayHarnessAsync()
    const jpeg = makeJpeg(64, 36, 3)
    await expectRefusedAsync(
      relay,
      editForm({ prompt: 'Make it blue' }, [jpeg.subarray(0, jpeg.length - 40)]),
      400,
      'invalid_image',
      /not a complete/
    )
  })

  it('names which image is broken when there are several', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' }, [REFERENCE_PNG, REFERENCE_PNG.subarray(0, 100)])
    await expectRefusedAsync(relay, form, 400, 'invalid_image', /^Image 2 /)
  })

  it('refuses an image over 20 MB with 413, naming the limit', async () => {
    const relay = await startRelayHarnessAsync()
    const huge = new Uint8Array(21 * 1024 * 1024)
    huge.set(REFERENCE_PNG)
    // The part is refused as it streams in, at 20 MB, so its full size is never known (or buffered).
    await expectRefusedAsync(
      relay,
      editForm({ prompt: 'Make it blue' }, [huge]),
      413,
      'payload_too_large',
      /^A part is larger than 20 MB, the limit for an image\.$/
    )
  })

  it('refuses an image over 20 megapixels before sending it anywhere', async () => {
    const relay = await startRelayHarnessAsync()
    // The same small PNG with its header claiming 5000×5000: the pixel limit is checked from IHDR, before CRCs.
    const claimsHuge = new Uint8Array(REFERENCE_PNG)
    new DataView(claimsHuge.buffer).setUint32(16, 5000)
    new DataView(claimsHuge.buffer).setUint32(20, 5000)
    await expectRefusedAsync(
      relay,
      editForm({ prompt: 'Make it blue' }, [claimsHuge]),
      400,
      'invalid_image',
      /5000×5000 pixels; the limit is 20 megapixels/
    )
  })

  it('refuses 3 images for Runware, which takes at most 2 references', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm({ prompt: 'Make it blue' }, [REFERENCE_PNG, REFERENCE_PNG, REFERENCE_PNG])
    await expectRefusedAsync(
      relay,
      form,
      400,
      'invalid_request',
      /Runware \(FLUX\.1 Kontext \[max\]\) takes at most 2 reference images; this request has 3/
    )
  })

  it('refuses more than 8 images whatever the host', async () => {
    const relay = await startRelayHarnessAsync()
    const form = editForm(
      { prompt: 'Make it blue' },
      Array.from({ length: 9 }, () => REFERENCE_PNG)
    )
    await expectRefusedAsync(relay, form, 400, 'invalid_request', /at most 8 reference images/)
  })

  it('accepts 2 images for Runware and sends both', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync({ prompt: 'Put the logo from image 2 on the shirt' }, [REFERENCE_PNG, makeJpeg(40, 40, 2)])
    const job = await relay.waitForEndAsync(id)
    expect(job.status).toBe('succeeded')
    const task = relay.fake!.accepted[0]!.task as { inputs: { referenceImages: string[] } }
    expect(task.inputs.referenceImages.map((uri) => uri.split(';')[0])).toEqual(['data:image/png', 'data:image/jpeg'])
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
