/**
 * The fake Replicate's own contract: it accepts what its header's sources document (docs/hosts.md,
 * "Replicate") and refuses the rest the way the real API does (stricter where noted in the header).
 */
import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { makeJpeg, makePng } from './make-image'
import { startFakeReplicateAsync, startReplicateForRelayAsync, type FakeReplicate } from './replicate-server'

const fakes: FakeReplicate[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

async function startAsync(latencyMs = 200): Promise<FakeReplicate> {
  const fake = await startFakeReplicateAsync({ latencyMs })
  fakes.push(fake)
  return fake
}

const PNG_URI = `data:image/png;base64,${Buffer.from(makePng(64, 36)).toString('base64')}`
const JPEG_URI = `data:image/jpeg;base64,${Buffer.from(makeJpeg(36, 64)).toString('base64')}`
const MAX = 'black-forest-labs/flux-kontext-max'
const DEV = 'black-forest-labs/flux-kontext-dev'
const MULTI = 'flux-kontext-apps/multi-image-kontext-max'
/** No `Prefer: wait`: the answer comes at once, before the (slow to render) output exists. */
const NO_HOLD = { prefer: '' }

interface Answer {
  status: number
  body: Record<string, unknown>
  headers: Headers
}

async function createAsync(
  fake: FakeReplicate,
  model: string,
  input: Record<string, unknown>,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const response = await fetch(`${fake.url}/v1/models/${model}/predictions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json', prefer: 'wait=5', ...headers },
    body: JSON.stringify({ input })
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers }
}

function invalidFields(answer: Answer): Array<{ field: string; type: string }> {
  return answer.body.invalid_fields as Array<{ field: string; type: string }>
}

describe('authentication', () => {
  it.each([
    ['no header', {}],
    ['the Token scheme', { authorization: 'Token X' }],
    ['a wrong token', { authorization: 'Bearer r8_wrong' }]
  ])('answers 401 with detail for %s', async (_name, headers) => {
    const fake = await startAsync()
    const response = await fetch(`${fake.url}/v1/models/${MAX}/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"input":{"prompt":"x"}}'
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ detail: 'You did not pass a valid authentication token', status: 401 })
    expect(fake.submissions()).toBe(0)
  })
})

describe('input validation (422 with per-field details)', () => {
  it('rejects an unknown input field, which the real API would silently drop', async () => {
    const fake = await startAsync()
    const answer = await createAsync(fake, MAX, { prompt: 'Make it blue', input_image: PNG_URI, steps: 30 })
    expect(answer.status).toBe(422)
    expect(answer.body).toMatchObject({ title: 'Input validation failed', status: 422 })
    expect(invalidFields(answer)).toEqual([
      { type: 'additional_property_not_allowed', field: 'input', description: 'Additional property steps is not allowed' }
    ])
    expect(fake.submissions()).toBe(0)
  })

  it.each([
    ['a string safety_tolerance', { safety_tolerance: '2' }, 'input.safety_tolerance'],
    ['safety_tolerance 3 with an input image', { safety_tolerance: 3 }, 'input.safety_tolerance'],
    ['output_format "jpeg" (Replicate says "jpg")', { output_format: 'jpeg' }, 'input.output_format'],
    ['an aspect ratio outside the enum', { aspect_ratio: '7:3' }, 'input.aspect_ratio'],
    ['a fractional seed', { seed: 1.5 }, 'input.seed'],
    [
      'a non-image data URI',
      { input_image: `data:image/png;base64,${Buffer.from('hello world!').toString('base64')}` },
      'input.input_image'
    ],
    ['a data URI whose type lies', { input_image: JPEG_URI.replace('image/jpeg', 'image/png') }, 'input.input_image'],
    ['a URL (the fake cannot fetch)', { input_image: 'https://example.com/a.png' }, 'input.input_image']
  ])('rejects %s', async (_name, patch, field) => {
    const fake = await startAsync()
    const answer = await createAsync(fake, MAX, { prompt: 'Make it blue', input_image: PNG_URI, ...patch })
    expect(answer.status).toBe(422)
    expect(invalidFields(answer).map((item) => item.field)).toContain(field)
    expect(String(answer.body.detail)).toMatch(/^- input/)
  })

  it('requires a prompt', async () => {
    const fake = await startAsync()
    const answer = await createAsync(fake, MAX, { input_image: PNG_URI })
    expect(answer.status).toBe(422)
    expect(invalidFields(answer)).toEqual([{ type: 'required', field: 'input', description: 'prompt is required' }])
  })

  it('takes dev fields on Kontext [dev] only, in range, and no safety_tolerance there', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, DEV, { prompt: 'x', input_image: PNG_URI, safety_tolerance: 2 })).status).toBe(422)
    expect((await createAsync(fake, DEV, { prompt: 'x', input_image: PNG_URI, num_inference_steps: 60 })).status).toBe(422)
    expect((await createAsync(fake, DEV, { prompt: 'x', input_image: PNG_URI, guidance: 10.5 })).status).toBe(422)
    expect((await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI, guidance: 2.5 })).status).toBe(422)
    const ok = await createAsync(
      fake,
      DEV,
      { prompt: 'x', input_image: PNG_URI, num_inference_steps: 30, guidance: 2.5, output_quality: 80, output_format: 'webp' },
      NO_HOLD
    )
    expect(ok.status).toBe(201)
    expect(fake.submissions()).toBe(1)
  })

  it('wants input_image_1 and input_image_2 on the multi-image app, and no prompt_upsampling', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, MULTI, { prompt: 'x', input_image: PNG_URI })).status).toBe(422)
    expect(
      (await createAsync(fake, MULTI, { prompt: 'x', input_image_1: PNG_URI, input_image_2: JPEG_URI, prompt_upsampling: true })).status
    ).toBe(422)
    expect(
      (await createAsync(fake, MULTI, { prompt: 'x', input_image_1: PNG_URI, input_image_2: JPEG_URI, safety_tolerance: 3 })).status
    ).toBe(422)
    expect((await createAsync(fake, MULTI, { prompt: 'x', input_image_1: PNG_URI, input_image_2: JPEG_URI }, NO_HOLD)).status).toBe(201)
  })

  it('refuses unknown models (404), a body without input, webhooks and a bad Prefer', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, 'black-forest-labs/flux-kontext-ultra', { prompt: 'x' })).status).toBe(404)
    const webhook = await fetch(`${fake.url}/v1/models/${MAX}/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { prompt: 'x' }, webhook: 'https://example.com/hook' })
    })
    expect(webhook.status).toBe(422)
    expect((await createAsync(fake, MAX, { prompt: 'x' }, { prefer: 'wait=61' })).status).toBe(400)
    expect(fake.submissions()).toBe(0)
  })
})

describe('FLUX.2 [pro]/[max]/[flex] (their version API pages; docs/flux2.md §4)', () => {
  const PRO = 'black-forest-labs/flux-2-pro'
  const FLUX2_MAX = 'black-forest-labs/flux-2-max'
  const FLEX = 'black-forest-labs/flux-2-flex'
  const CUSTOM = { prompt: 'Make it blue', input_images: [PNG_URI], aspect_ratio: 'custom', width: 1024, height: 640 }

  it('makes exactly width × height with aspect_ratio "custom", answered as one URI string', async () => {
    const fake = await startAsync(20)
    const answer = await createAsync(fake, PRO, { ...CUSTOM, input_images: [PNG_URI, JPEG_URI], output_format: 'png', safety_tolerance: 5 })
    expect(answer.status).toBe(201)
    expect(answer.body).toMatchObject({ status: 'succeeded', model: PRO })
    expect(typeof answer.body.output).toBe('string')
    const file = await fetch(String(answer.body.output))
    expect(file.headers.get('content-type')).toBe('image/png')
    expect(imageSize(new Uint8Array(await file.arrayBuffer()))).toMatchObject({ width: 1024, height: 640 })
  })

  it.each([
    ['Kontext’s input_image', { input_image: PNG_URI }, 'input', 'input_image'],
    ['Kontext’s input_image_1', { input_image_1: PNG_URI }, 'input', 'input_image_1'],
    ['Kontext [dev]’s num_inference_steps', { num_inference_steps: 30 }, 'input', 'num_inference_steps'],
    ['prompt_upsampling ([pro] has none since 285631b5)', { prompt_upsampling: false }, 'input', 'prompt_upsampling'],
    ['steps ([flex] only)', { steps: 30 }, 'input', 'steps'],
    [
      'an aspect ratio Kontext lists but FLUX.2 does not',
      { aspect_ratio: '21:9', width: undefined, height: undefined },
      'input.aspect_ratio',
      'one of the following'
    ],
    ['a width off the ×32 grid (the real API would round it)', { width: 1000 }, 'input.width', '32'],
    ['a height over 2048', { height: 2080 }, 'input.height', '2048'],
    ['width and height without "custom" (the real API would ignore them)', { aspect_ratio: '16:9' }, 'input.width', 'custom'],
    ['"custom" without a height', { height: undefined }, 'input.height', 'required'],
    ['resolution with "custom" (the real API would ignore it)', { resolution: '2 MP' }, 'input.resolution', 'custom'],
    ['safety_tolerance 0', { safety_tolerance: 0 }, 'input.safety_tolerance', '1'],
    ['safety_tolerance 6', { safety_tolerance: 6 }, 'input.safety_tolerance', '5'],
    ['nine input images', { input_images: Array<string>(9).fill(PNG_URI) }, 'input.input_images', '8'],
    ['a non-image among the input images', { input_images: [PNG_URI, 'data:image/png;base64,aGVsbG8='] }, 'input.input_images.1', ''],
    ['output_format "jpeg" (Replicate says "jpg")', { output_format: 'jpeg' }, 'input.output_format', 'jpg']
  ])('refuses %s on [pro]', async (_name, patch, field, mention) => {
    const fake = await startAsync()
    const answer = await createAsync(fake, PRO, { ...CUSTOM, ...patch })
    expect(answer.status).toBe(422)
    const invalid = invalidFields(answer).filter((item) => item.field === field)
    expect(invalid).not.toEqual([])
    expect(JSON.stringify(invalid)).toContain(mention)
    expect(fake.submissions()).toBe(0)
  })

  it('takes [max]’s ×16 grid, which [pro] refuses', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, PRO, { ...CUSTOM, width: 1040 })).status).toBe(422)
    const answer = await createAsync(fake, FLUX2_MAX, { ...CUSTOM, width: 1040 }, NO_HOLD)
    expect(answer.status).toBe(201)
    expect(fake.submissions()).toBe(1)
  })

  it('takes [flex]’s steps, guidance and prompt_upsampling in range, and up to ten images', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, FLEX, { ...CUSTOM, steps: 51 })).status).toBe(422)
    expect((await createAsync(fake, FLEX, { ...CUSTOM, steps: 0 })).status).toBe(422)
    expect((await createAsync(fake, FLEX, { ...CUSTOM, guidance: 1 })).status).toBe(422)
    expect((await createAsync(fake, FLEX, { ...CUSTOM, guidance: 10.5 })).status).toBe(422)
    expect((await createAsync(fake, FLEX, { ...CUSTOM, input_images: Array<string>(11).fill(PNG_URI) })).status).toBe(422)
    expect(fake.submissions()).toBe(0)
    const ok = await createAsync(
      fake,
      FLEX,
      { ...CUSTOM, input_images: Array<string>(10).fill(PNG_URI), steps: 50, guidance: 5, prompt_upsampling: false, output_quality: 95 },
      NO_HOLD
    )
    expect(ok.status).toBe(201)
    expect(fake.submissions()).toBe(1)
  })

  it('follows a listed ratio at the resolution’s megapixels when not "custom" (the fake’s choice: undocumented)', async () => {
    const fake = await startAsync(20)
    const answer = await createAsync(fake, FLUX2_MAX, { prompt: 'x', input_images: [PNG_URI], aspect_ratio: '16:9', output_format: 'jpg' })
    expect(answer.status).toBe(201)
    const file = await fetch(String(answer.body.output))
    const { width, height } = imageSize(new Uint8Array(await file.arrayBuffer()))
    expect(Math.abs(width / height - 16 / 9)).toBeLessThan(0.02)
    expect(Math.abs(width * height - 1024 * 1024)).toBeLessThan(0.02 * 1024 * 1024)
  })
})

describe('FLUX.2 [klein] 4B (its version API page, 8e9c42d7; docs/flux2.md §4)', () => {
  const KLEIN = 'black-forest-labs/flux-2-klein-4b'
  const WIDE_URI = `data:image/png;base64,${Buffer.from(makePng(160, 100)).toString('base64')}`
  const EDIT = { prompt: 'Make it blue', images: [WIDE_URI], aspect_ratio: 'match_input_image' }

  async function outputSizeAsync(answer: Answer): Promise<{ width: number; height: number; type: string | null }> {
    const [url] = answer.body.output as string[]
    const file = await fetch(String(url))
    return { ...imageSize(new Uint8Array(await file.arrayBuffer())), type: file.headers.get('content-type') }
  }

  it('answers a list of one URI, at the first image’s shape and the megapixels asked (the fake’s choice of sides)', async () => {
    const fake = await startAsync(20)
    const answer = await createAsync(fake, KLEIN, { ...EDIT, images: [WIDE_URI, JPEG_URI], output_megapixels: '2', seed: 3 })
    expect(answer.status).toBe(201)
    expect(answer.body).toMatchObject({ status: 'succeeded', model: KLEIN })
    expect(answer.body.output).toEqual([expect.stringMatching(/\/output\.jpg$/)])
    // 2 × 1024² at 16:10: 1831.8 × 1144.9, each side rounded to 16; jpg, the page's default.
    expect(await outputSizeAsync(answer)).toEqual({ width: 1824, height: 1152, type: 'image/jpeg' })
  })

  it('follows a named ratio at 1 MP by default, and keeps the long side within 2048', async () => {
    const fake = await startAsync(20)
    const square = await createAsync(fake, KLEIN, { prompt: 'x', images: [WIDE_URI], aspect_ratio: '1:1', output_format: 'png' })
    expect(await outputSizeAsync(square)).toEqual({ width: 1024, height: 1024, type: 'image/png' })
    const tall = await createAsync(fake, KLEIN, { prompt: 'x', aspect_ratio: '9:16', output_megapixels: '4', output_format: 'webp' })
    expect(await outputSizeAsync(tall)).toEqual({ width: 1152, height: 2048, type: 'image/webp' })
  })

  it.each([
    ['FLUX.2 [pro]’s safety_tolerance', { safety_tolerance: 2 }, 'input', 'safety_tolerance'],
    ['FLUX.2 [pro]’s input_images', { input_images: [PNG_URI] }, 'input', 'input_images'],
    ['FLUX.2 [pro]’s resolution', { resolution: '2 MP' }, 'input', 'resolution'],
    ['FLUX.2 [pro]’s width and height', { width: 1024, height: 640 }, 'input', 'width'],
    ['FLUX.2’s aspect_ratio "custom"', { aspect_ratio: 'custom' }, 'input.aspect_ratio', 'one of the following'],
    ['[flex]’s steps', { steps: 4 }, 'input', 'steps'],
    ['[flex]’s guidance (9b-base has it, 4B does not)', { guidance: 4 }, 'input', 'guidance'],
    ['prompt_upsampling', { prompt_upsampling: false }, 'input', 'prompt_upsampling'],
    ['six images', { images: Array<string>(6).fill(PNG_URI) }, 'input.images', '5'],
    ['an output_megapixels it lacks', { output_megapixels: '3' }, 'input.output_megapixels', 'one of the following'],
    ['output_megapixels as a number', { output_megapixels: 2 }, 'input.output_megapixels', 'one of the following'],
    ['output_quality 101', { output_quality: 101 }, 'input.output_quality', '100'],
    ['match_input_image without an image', { images: [] }, 'input.aspect_ratio', 'input image']
  ])('refuses %s', async (_name, patch, field, mention) => {
    const fake = await startAsync()
    const answer = await createAsync(fake, KLEIN, { ...EDIT, ...patch })
    expect(answer.status).toBe(422)
    const invalid = invalidFields(answer).filter((item) => item.field === field)
    expect(invalid).not.toEqual([])
    expect(JSON.stringify(invalid)).toContain(mention)
    expect(fake.submissions()).toBe(0)
  })

  it('knows no [klein] 9B (its version page was not found)', async () => {
    const fake = await startAsync()
    expect((await createAsync(fake, 'black-forest-labs/flux-2-klein-9b', EDIT)).status).toBe(404)
  })
})

describe('files (the client’s lib/files.js)', () => {
  const PNG = makePng(64, 36, 9)

  async function uploadAsync(
    fake: FakeReplicate,
    form: FormData,
    token = fake.token
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${fake.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  function clientForm(): FormData {
    const form = new FormData()
    form.append('content', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'reference-1.png')
    form.append('metadata', new Blob([JSON.stringify({})], { type: 'application/json' }))
    return form
  }

  it('creates a file from the client’s multipart form, answers the file object, and a model reads its urls.get', async () => {
    const fake = await startAsync(20)
    expect((await uploadAsync(fake, clientForm(), 'r8_wrong')).status).toBe(401)
    const created = await uploadAsync(fake, clientForm())
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'reference-1.png',
      content_type: 'image/png',
      size: PNG.byteLength,
      metadata: {},
      urls: { get: `${fake.url}/v1/files/${String(created.body.id)}` }
    })
    expect(fake.uploads).toHaveLength(1)
    expect(fake.submissions()).toBe(0)

    const url = (created.body.urls as { get: string }).get
    const fetched = await fetch(url, { headers: { authorization: `Bearer ${fake.token}` } })
    expect(await fetched.json()).toMatchObject({ id: created.body.id, size: PNG.byteLength })
    const prediction = await createAsync(fake, MAX, { prompt: 'x', input_image: url })
    expect(prediction.status).toBe(201)
  })

  it('refuses a form without the content part, and a model naming a file that does not exist', async () => {
    const fake = await startAsync(20)
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'x.png')
    expect((await uploadAsync(fake, form)).status).toBe(400)
    const missing = await createAsync(fake, MAX, { prompt: 'x', input_image: `${fake.url}/v1/files/nope` })
    expect(missing.status).toBe(422)
    const elsewhere = await createAsync(fake, MAX, { prompt: 'x', input_image: 'https://example.com/x.png' })
    expect(elsewhere.status).toBe(422)
  })

  it('answers an upload fault once, storing nothing', async () => {
    const fake = await startAsync(20)
    fake.failNextUpload({ kind: 'status', status: 429, retryAfterSeconds: 2 })
    const refused = await fetch(`${fake.url}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}` },
      body: clientForm()
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect(fake.uploads).toHaveLength(0)
    expect((await uploadAsync(fake, clientForm())).status).toBe(201)
  })
})

describe('predictions', () => {
  it('holds the answer under Prefer: wait and returns the finished prediction with a single output URL', async () => {
    const fake = await startAsync(50)
    const answer = await createAsync(fake, MAX, {
      prompt: 'Make it blue',
      input_image: PNG_URI,
      aspect_ratio: '16:9',
      seed: 7,
      output_format: 'jpg'
    })
    expect(answer.status).toBe(201)
    expect(answer.body).toMatchObject({
      status: 'succeeded',
      error: null,
      model: MAX,
      urls: { get: expect.stringContaining('/v1/predictions/') }
    })
    expect(typeof answer.body.output).toBe('string')
    const file = await fetch(String(answer.body.output))
    expect(file.headers.get('content-type')).toBe('image/jpeg')
    expect(imageSize(new Uint8Array(await file.arrayBuffer()))).toMatchObject({ width: 1392, height: 752 })
  })

  it('answers at once without Prefer, then reports processing and finally succeeded through urls.get', async () => {
    const fake = await startAsync(300)
    const answer = await createAsync(fake, DEV, { prompt: 'x', input_image: JPEG_URI }, { prefer: '' })
    expect(answer.body.status).toBe('processing')
    const get = (answer.body.urls as { get: string }).get
    const poll = async (): Promise<Record<string, unknown>> =>
      (await (await fetch(get, { headers: { authorization: `Bearer ${fake.token}` } })).json()) as Record<string, unknown>
    expect((await poll()).status).toBe('processing')
    await new Promise((resolve) => setTimeout(resolve, 350))
    const done = await poll()
    expect(done.status).toBe('succeeded')
    // match_input_image on a 36×64 reference; webp by default on [dev].
    const file = await fetch(String(done.output))
    expect(file.headers.get('content-type')).toBe('image/webp')
    expect(imageSize(new Uint8Array(await file.arrayBuffer()))).toMatchObject({ width: 752, height: 1392 })
  })

  it('answers still processing when the hold ends first, and cancels on POST urls.cancel', async () => {
    const fake = await startAsync(60_000)
    const answer = await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI }, { prefer: 'wait=1' })
    expect(answer.body.status).toBe('processing')
    const urls = answer.body.urls as { cancel: string }
    const canceled = await fetch(urls.cancel, { method: 'POST', headers: { authorization: `Bearer ${fake.token}` } })
    expect(await canceled.json()).toMatchObject({ status: 'canceled' })
    expect(fake.cancels).toEqual([answer.body.id])
  })

  it('ends moderated predictions failed with E005', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'moderation' })
    const answer = await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI })
    expect(answer.body).toMatchObject({ status: 'failed', output: null, error: expect.stringContaining('(E005)') })
  })

  it('answers 429 with the documented body and Retry-After, creating nothing', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'status', status: 429 })
    const answer = await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI })
    expect(answer.status).toBe(429)
    expect(answer.body.detail).toBe('Request was throttled. Your rate limit resets in ~30s.')
    expect(answer.headers.get('retry-after')).toBe('30')
    expect(fake.submissions()).toBe(0)
  })

  it('ends a hanging request when it closes', async () => {
    const fake = await startFakeReplicateAsync()
    fake.failNext({ kind: 'hang' })
    const pending = createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI }).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await fake.close()
    expect(await pending).toBeInstanceOf(Error)
  })
})

describe('the cross-host handle (test/fakes/fake-http.ts FakeHostHandle)', () => {
  it('passes failNext through to the fake, with the common kinds under their common names', async () => {
    const handle = await startReplicateForRelayAsync()
    try {
      const create = () =>
        fetch(`${handle.env.REPLICATE_API_URL}/v1/models/${MAX}/predictions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${handle.env.REPLICATE_API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { prompt: 'x', input_image: PNG_URI } })
        })

      handle.failNext({ kind: 'status', status: 429, retryAfterSeconds: 1 }, 2)
      for (let i = 0; i < 2; i += 1) {
        const refused = await create()
        expect(refused.status).toBe(429)
        expect(refused.headers.get('retry-after')).toBe('1')
      }
      expect(handle.submissions()).toBe(0)

      handle.failNext({ kind: 'reset-after-accept' })
      await expect(create()).rejects.toThrow()
      expect(handle.submissions()).toBe(1)
      expect((await create()).status).toBe(201)
      expect(handle.submissions()).toBe(2)
      expect(handle.duplicates()).toBe(0)
    } finally {
      await handle.close()
    }
  })

  it('answers a status without a documented body with its own detail, and Retry-After only when given', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'status', status: 504 })
    fake.failNext({ kind: 'status', status: 500, retryAfterSeconds: 3 })
    const timedOut = await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI })
    expect(timedOut).toMatchObject({ status: 504, body: { detail: 'HTTP 504', status: 504 } })
    expect(timedOut.headers.get('retry-after')).toBeNull()
    const broken = await createAsync(fake, MAX, { prompt: 'x', input_image: PNG_URI })
    expect(broken.status).toBe(500)
    expect(broken.headers.get('retry-after')).toBe('3')
    expect(fake.submissions()).toBe(0)
  })
})
