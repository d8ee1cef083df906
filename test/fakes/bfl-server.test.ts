/**
 * Self-tests of the BFL fake: it must reject what the real API rejects (BFL's OpenAPI and docs.bfl.ai, listed in the fake's header) and
 * behave like the real flow (polling on another host, signed sample URLs that expire).
 */
import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { startBflForRelayAsync, startFakeBflAsync, type FakeBfl, type FakeBflOptions } from './bfl-server'
import { makeJpeg, makePng } from './make-image'

const KEY = 'bfl_selftest_key_0123456789'
const PNG = Buffer.from(makePng(32, 32, 1)).toString('base64')
const JPEG = Buffer.from(makeJpeg(48, 24, 2)).toString('base64')

const fakes: FakeBfl[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

async function fakeAsync(options: Omit<FakeBflOptions, 'apiKey'> = {}): Promise<FakeBfl> {
  const fake = await startFakeBflAsync({ apiKey: KEY, ...options })
  fakes.push(fake)
  return fake
}

function submitAsync(fake: FakeBfl, body: unknown, { model = 'flux-kontext-max', headers = {} } = {}): Promise<Response> {
  return fetch(`${fake.url}/v1/${model}`, {
    method: 'POST',
    headers: { 'x-key': KEY, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

async function detailOf(response: Response): Promise<Array<{ type: string; loc: unknown[] }>> {
  expect(response.status).toBe(422)
  return ((await response.json()) as { detail: Array<{ type: string; loc: unknown[] }> }).detail
}

const VALID = {
  prompt: 'Make it red',
  input_image: PNG,
  aspect_ratio: '16:9',
  output_format: 'png',
  safety_tolerance: 2,
  prompt_upsampling: false
}

/** A FLUX.2 [pro]/[max] body with every field the relay sends (OpenAPI `Flux2Inputs`). */
const FLUX2_VALID = {
  prompt: 'Make it red',
  input_image: PNG,
  width: 1440,
  height: 896,
  seed: 4,
  output_format: 'png',
  safety_tolerance: 2
}
const FLEX_VALID = { ...FLUX2_VALID, steps: 50, guidance: 5, prompt_upsampling: false }

async function pollUntilAsync(url: string, key = KEY): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i += 1) {
    const answer = (await (await fetch(url, { headers: { 'x-key': key } })).json()) as Record<string, unknown>
    if (answer.status !== 'Pending') return answer
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('still Pending')
}

describe('the BFL fake: authentication and routes', () => {
  it('answers 401 without x-key, with a wrong key, or with a Bearer header instead', async () => {
    const fake = await fakeAsync()
    expect((await submitAsync(fake, VALID, { headers: { 'x-key': 'wrong' } })).status).toBe(401)
    const bearer = await fetch(`${fake.url}/v1/flux-kontext-max`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(VALID)
    })
    expect(bearer.status).toBe(401)
    expect(await bearer.json()).toHaveProperty('detail')
    expect((await fetch(`${fake.regionUrl}/v1/get_result?id=x`)).status).toBe(401)
    expect(fake.submissions()).toBe(0)
  })

  it('answers 404 for an unknown model path and 405 for a GET on a model', async () => {
    const fake = await fakeAsync()
    expect((await submitAsync(fake, VALID, { model: 'flux-kontext' })).status).toBe(404)
    expect((await submitAsync(fake, VALID, { model: 'flux-kontext-dev' })).status).toBe(404)
    expect((await fetch(`${fake.url}/v1/flux-kontext-max`, { headers: { 'x-key': KEY } })).status).toBe(405)
  })

  it('accepts a configured Kontext path, and serves FLUX.2 whatever is configured', async () => {
    const fake = await fakeAsync({ models: ['flux-kontext-next'] })
    expect((await submitAsync(fake, VALID, { model: 'flux-kontext-next' })).status).toBe(200)
    expect((await submitAsync(fake, VALID)).status).toBe(404)
    expect((await submitAsync(fake, FLUX2_VALID, { model: 'flux-2-pro' })).status).toBe(200)
    await expect(fakeAsync({ models: ['flux-2-pro'] })).rejects.toThrow(/FLUX\.2/)
  })
})

describe('the BFL fake: validation (422, FastAPI detail[])', () => {
  it.each([
    ['an unknown field', { ...VALID, width: 1024 }, 'width', 'extra_forbidden'],
    ['a missing prompt', { input_image: PNG }, 'prompt', 'missing'],
    ['a string safety_tolerance', { ...VALID, safety_tolerance: '2' }, 'safety_tolerance', 'int_type'],
    ['safety_tolerance 7', { ...VALID, safety_tolerance: 7 }, 'safety_tolerance', 'less_than_equal'],
    ['safety_tolerance -1', { ...VALID, safety_tolerance: -1 }, 'safety_tolerance', 'greater_than_equal'],
    ['a bad output_format', { ...VALID, output_format: 'jpg' }, 'output_format', 'enum'],
    ['a string prompt_upsampling', { ...VALID, prompt_upsampling: 'false' }, 'prompt_upsampling', 'bool_type'],
    ['a fractional seed', { ...VALID, seed: 1.5 }, 'seed', 'int_from_float'],
    ['a string seed', { ...VALID, seed: '7' }, 'seed', 'int_type'],
    ['a data: URI image', { ...VALID, input_image: `data:image/png;base64,${PNG}` }, 'input_image', 'value_error'],
    ['a non-image reference', { ...VALID, input_image_2: Buffer.from('hello world!').toString('base64') }, 'input_image_2', 'value_error'],
    ['broken base64', { ...VALID, input_image: 'abc' }, 'input_image', 'value_error'],
    ['a fifth reference', { ...VALID, input_image_5: PNG }, 'input_image_5', 'extra_forbidden'],
    ['an aspect ratio past 21:9', { ...VALID, aspect_ratio: '3:1' }, 'aspect_ratio', 'value_error'],
    ['a malformed aspect ratio', { ...VALID, aspect_ratio: '16x9' }, 'aspect_ratio', 'value_error'],
    ['a webhook (not faked)', { ...VALID, webhook_url: 'https://example.com/hook' }, 'webhook_url', 'value_error']
  ])('rejects %s', async (_name, body, field, type) => {
    const fake = await fakeAsync()
    const detail = await detailOf(await submitAsync(fake, body))
    expect(detail).toContainEqual(expect.objectContaining({ loc: ['body', field], type }))
    expect(fake.submissions()).toBe(0)
  })

  it('rejects a body that is not JSON, or not an object', async () => {
    const fake = await fakeAsync()
    expect((await detailOf(await submitAsync(fake, '{"prompt":')))[0]!.type).toBe('json_invalid')
    expect((await detailOf(await submitAsync(fake, VALID, { headers: { 'content-type': 'text/plain' } })))[0]!.type).toBe('json_invalid')
    expect((await detailOf(await submitAsync(fake, [VALID])))[0]!.type).toBe('model_attributes_type')
  })

  it('follows the OpenAPI by default (safety_tolerance 0–6 with an input image), and can cap it at 2 as Replicate and ComfyUI do', async () => {
    const lenient = await fakeAsync()
    expect((await submitAsync(lenient, { ...VALID, safety_tolerance: 6 })).status).toBe(200)
    const capped = await fakeAsync({ imageSafetyMax: 2 })
    const detail = await detailOf(await submitAsync(capped, { ...VALID, safety_tolerance: 3 }))
    expect(detail).toContainEqual(expect.objectContaining({ loc: ['body', 'safety_tolerance'], type: 'value_error' }))
    expect((await submitAsync(capped, { prompt: 'A red cube', safety_tolerance: 6 })).status).toBe(200)
    expect(capped.submissions()).toBe(1)
  })

  it('accepts safety_tolerance 6 without an input image (text-to-image), and nulls for optional fields', async () => {
    const fake = await fakeAsync()
    expect((await submitAsync(fake, { prompt: 'A red cube', safety_tolerance: 6 })).status).toBe(200)
    expect(
      (await submitAsync(fake, { prompt: 'A red cube', seed: null, aspect_ratio: null, output_format: null, input_image: null })).status
    ).toBe(200)
    expect(fake.submissions()).toBe(2)
  })
})

describe('the BFL fake: FLUX.2 validation (OpenAPI Flux2Inputs / Flux2FlexInputs, skills resolution rules)', () => {
  it.each([
    ['aspect_ratio (Kontext only)', 'flux-2-flex', { ...FLEX_VALID, aspect_ratio: '16:9' }, 'aspect_ratio', 'extra_forbidden'],
    ['aspect_ratio on [pro]', 'flux-2-pro', { ...FLUX2_VALID, aspect_ratio: '16:9' }, 'aspect_ratio', 'extra_forbidden'],
    ['steps on [pro]', 'flux-2-pro', { ...FLUX2_VALID, steps: 50 }, 'steps', 'extra_forbidden'],
    ['guidance on [max]', 'flux-2-max', { ...FLUX2_VALID, guidance: 5 }, 'guidance', 'extra_forbidden'],
    ['prompt_upsampling on [pro]', 'flux-2-pro', { ...FLUX2_VALID, prompt_upsampling: false }, 'prompt_upsampling', 'extra_forbidden'],
    ['a ninth reference', 'flux-2-flex', { ...FLEX_VALID, input_image_9: PNG }, 'input_image_9', 'extra_forbidden'],
    ['a bad eighth reference', 'flux-2-max', { ...FLUX2_VALID, input_image_8: 'abc' }, 'input_image_8', 'value_error'],
    ['safety_tolerance 6', 'flux-2-flex', { ...FLEX_VALID, safety_tolerance: 6 }, 'safety_tolerance', 'less_than_equal'],
    ['a null safety_tolerance', 'flux-2-pro', { ...FLUX2_VALID, safety_tolerance: null }, 'safety_tolerance', 'int_type'],
    ['steps 51', 'flux-2-flex', { ...FLEX_VALID, steps: 51 }, 'steps', 'less_than_equal'],
    ['steps 0', 'flux-2-flex', { ...FLEX_VALID, steps: 0 }, 'steps', 'greater_than_equal'],
    ['fractional steps', 'flux-2-flex', { ...FLEX_VALID, steps: 20.5 }, 'steps', 'int_from_float'],
    ['guidance 1.4', 'flux-2-flex', { ...FLEX_VALID, guidance: 1.4 }, 'guidance', 'greater_than_equal'],
    ['guidance 10.5', 'flux-2-flex', { ...FLEX_VALID, guidance: 10.5 }, 'guidance', 'less_than_equal'],
    ['a string guidance', 'flux-2-flex', { ...FLEX_VALID, guidance: '5' }, 'guidance', 'float_type'],
    ['a string prompt_upsampling', 'flux-2-flex', { ...FLEX_VALID, prompt_upsampling: 'false' }, 'prompt_upsampling', 'bool_type'],
    ['a width off the 16 px grid', 'flux-2-pro', { ...FLUX2_VALID, width: 1000 }, 'width', 'value_error'],
    ['a height under 64', 'flux-2-pro', { ...FLUX2_VALID, height: 48 }, 'height', 'greater_than_equal'],
    ['a string width', 'flux-2-pro', { ...FLUX2_VALID, width: '1440' }, 'width', 'int_type'],
    ['a width without a height', 'flux-2-pro', { ...FLUX2_VALID, height: undefined }, 'height', 'value_error'],
    ['more than 4 MP (2048×2048)', 'flux-2-max', { ...FLUX2_VALID, width: 2048, height: 2048 }, 'width', 'value_error'],
    ['a side over 4096', 'flux-2-max', { ...FLUX2_VALID, width: 4112, height: 64 }, 'width', 'value_error'],
    ['webp', 'flux-2-flex', { ...FLEX_VALID, output_format: 'webp' }, 'output_format', 'enum'],
    ['a webhook (not faked)', 'flux-2-pro', { ...FLUX2_VALID, webhook_url: 'https://example.com/hook' }, 'webhook_url', 'value_error'],
    ['a blob path (not faked)', 'flux-2-flex', { ...FLEX_VALID, input_image_blob_path: 'x/y.png' }, 'input_image_blob_path', 'value_error']
  ])('rejects %s', async (_name, model, body, field, type) => {
    const fake = await fakeAsync()
    const detail = await detailOf(await submitAsync(fake, body, { model }))
    expect(detail).toContainEqual(expect.objectContaining({ loc: ['body', field], type }))
    expect(fake.submissions()).toBe(0)
  })

  it('accepts the largest grid sizes within 4 MP, nulls for nullable fields, and [flex] with no optional field', async () => {
    const fake = await fakeAsync()
    expect((await submitAsync(fake, { ...FLUX2_VALID, width: 2528, height: 1568 }, { model: 'flux-2-pro' })).status).toBe(200)
    expect((await submitAsync(fake, { ...FLUX2_VALID, width: 2000, height: 2000 }, { model: 'flux-2-max' })).status).toBe(200)
    const nulls = {
      ...FLEX_VALID,
      seed: null,
      steps: null,
      guidance: null,
      prompt_upsampling: null,
      output_format: null,
      input_image_2: null
    }
    expect((await submitAsync(fake, nulls, { model: 'flux-2-flex' })).status).toBe(200)
    expect((await submitAsync(fake, { prompt: 'A red cube' }, { model: 'flux-2-flex' })).status).toBe(200)
    expect(fake.submissions()).toBe(4)
  })

  it("refuses [pro] references over 9 MP together (BFL's editing page), which [max] takes", async () => {
    const fake = await fakeAsync()
    const large = Buffer.from(makeJpeg(2880, 1800, 4)).toString('base64')
    const body = { ...FLUX2_VALID, input_image: large, input_image_2: large }
    const detail = await detailOf(await submitAsync(fake, body, { model: 'flux-2-pro' }))
    expect(detail).toContainEqual(expect.objectContaining({ loc: ['body', 'input_image'], type: 'value_error' }))
    expect((await submitAsync(fake, { ...body, input_image_2: undefined }, { model: 'flux-2-pro' })).status).toBe(200)
    expect((await submitAsync(fake, body, { model: 'flux-2-max' })).status).toBe(200)
  })
})

describe('the BFL fake: FLUX.2 flow', () => {
  it("answers cost by BFL's formula with the megapixels billed, and serves an image of exactly width × height", async () => {
    const fake = await fakeAsync()
    const reference = Buffer.from(makePng(1000, 500, 3)).toString('base64')
    const response = await submitAsync(fake, { ...FLEX_VALID, input_image: reference, width: 1440, height: 896 }, { model: 'flux-2-flex' })
    expect(response.status).toBe(200)
    const submit = (await response.json()) as { polling_url: string; cost: number; input_mp: number; output_mp: number }
    expect(submit.input_mp).toBe(0.5)
    // 1440 × 896 = 1 290 240 px.
    expect(submit.output_mp).toBe(1.29)
    // [flex]: 5¢ the first MP, 5¢ each further output MP and each input MP.
    expect(submit.cost).toBeCloseTo(5 + 5 * (1.29 - 1) + 5 * 0.5, 9)
    expect(fake.accepted[0]!.costCredits).toBe(submit.cost)

    const ready = await pollUntilAsync(submit.polling_url)
    const image = await fetch((ready.result as { sample: string }).sample)
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(imageSize(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 1440, height: 896, type: 'png' })
  })

  it('prices [pro] and [max] by their own rates, the first megapixel whole below one', async () => {
    const fake = await fakeAsync()
    const costOf = async (model: string, body: object): Promise<number> =>
      ((await (await submitAsync(fake, body, { model })).json()) as { cost: number }).cost
    // A 32×32 reference is 0.00 MP; 512 × 512 is 0.26 MP out.
    expect(await costOf('flux-2-pro', { ...FLUX2_VALID, width: 512, height: 512 })).toBe(3)
    expect(await costOf('flux-2-max', { ...FLUX2_VALID, width: 512, height: 512 })).toBe(7)
    // 2000 × 2000 is 4 MP out: three further megapixels.
    expect(await costOf('flux-2-pro', { ...FLUX2_VALID, width: 2000, height: 2000 })).toBeCloseTo(3 + 1.5 * 3, 9)
    expect(await costOf('flux-2-max', { ...FLUX2_VALID, width: 2000, height: 2000 })).toBeCloseTo(7 + 3 * 3, 9)
  })

  it('follows the first reference without width and height, in JPEG by default', async () => {
    const fake = await fakeAsync()
    const reference = Buffer.from(makePng(1000, 500, 3)).toString('base64')
    const submit = (await (await submitAsync(fake, { prompt: 'Make it red', input_image: reference }, { model: 'flux-2-max' })).json()) as {
      polling_url: string
    }
    const ready = await pollUntilAsync(submit.polling_url)
    const bytes = new Uint8Array(await (await fetch((ready.result as { sample: string }).sample)).arrayBuffer())
    expect(imageSize(bytes)).toMatchObject({ width: 992, height: 496, type: 'jpg' })
  })
})

describe('the BFL fake: the job flow', () => {
  it('answers the submit as documented, polls on the second host, and serves a real image at the ratio', async () => {
    const fake = await fakeAsync()
    const response = await submitAsync(fake, { ...VALID, input_image_2: JPEG, aspect_ratio: '9:16', output_format: 'jpeg', seed: 3 })
    expect(response.status).toBe(200)
    const submit = (await response.json()) as { id: string; polling_url: string; cost: number; input_mp: number; output_mp: number }
    expect(Object.keys(submit).sort()).toEqual(['cost', 'id', 'input_mp', 'output_mp', 'polling_url'])
    expect(submit.cost).toBe(8)
    expect(new URL(submit.polling_url).origin).toBe(fake.regionUrl)
    expect(fake.submissions()).toBe(1)

    // The submit host does not know the task: rebuilding the URL does not work.
    const rebuilt = await fetch(`${fake.url}/v1/get_result?id=${submit.id}`, { headers: { 'x-key': KEY } })
    expect(((await rebuilt.json()) as { status: string }).status).toBe('Task not found')

    const ready = await pollUntilAsync(submit.polling_url)
    expect(ready).toMatchObject({ id: submit.id, status: 'Ready', result: { seed: 3 } })
    const sample = (ready.result as { sample: string }).sample
    const image = await fetch(sample)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/jpeg')
    expect(imageSize(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 752, height: 1392, type: 'jpg' })
  })

  it('follows the first image ratio without aspect_ratio and defaults to PNG; reports Pending with progress', async () => {
    const fake = await fakeAsync({ latencyMs: 80, costs: { 'flux-kontext-max': 6 } })
    const submit = (await (await submitAsync(fake, { prompt: 'Make it red', input_image: JPEG })).json()) as {
      polling_url: string
      cost: number
    }
    expect(submit.cost).toBe(6)
    const pending = (await (await fetch(submit.polling_url, { headers: { 'x-key': KEY } })).json()) as {
      status: string
      progress: number | null
    }
    expect(pending.status).toBe('Pending')
    const ready = await pollUntilAsync(submit.polling_url)
    const bytes = new Uint8Array(await (await fetch((ready.result as { sample: string }).sample)).arrayBuffer())
    // 48×24 is 2:1, none of the nine names: about 1 MP at 2:1, sides in multiples of 16.
    expect(imageSize(bytes)).toMatchObject({ width: 1456, height: 720, type: 'png' })
  })

  it('makes sample URLs expire, and refuses a tampered signature', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'expired-sample' })
    const first = (await (await submitAsync(fake, VALID)).json()) as { polling_url: string }
    const expired = ((await pollUntilAsync(first.polling_url)).result as { sample: string }).sample
    expect((await fetch(expired)).status).toBe(403)

    const second = (await (await submitAsync(fake, VALID)).json()) as { polling_url: string }
    const sample = ((await pollUntilAsync(second.polling_url)).result as { sample: string }).sample
    const later = new URL(sample)
    later.searchParams.set('se', String(Date.now() + 3_600_000))
    expect((await fetch(later)).status).toBe(403)
    expect((await fetch(sample)).status).toBe(200)
  })

  it.each([
    ['request-moderated', 'Request Moderated'],
    ['content-moderated', 'Content Moderated'],
    ['error', 'Error'],
    ['task-not-found', 'Task not found']
  ] as const)('ends a %s task in status %s, with no result', async (kind, status) => {
    const fake = await fakeAsync()
    fake.failNext({ kind })
    const submit = (await (await submitAsync(fake, VALID)).json()) as { polling_url: string }
    expect(await pollUntilAsync(submit.polling_url)).toMatchObject({ status, result: null })
    expect(fake.submissions()).toBe(1)
  })

  it('answers status faults without billing, with Retry-After when asked', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 3 })
    fake.failNext({ kind: 'status', status: 402 })
    const limited = await submitAsync(fake, VALID)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await submitAsync(fake, VALID)).status).toBe(402)
    expect(fake.submissions()).toBe(0)
    expect((await submitAsync(fake, VALID)).status).toBe(200)
    expect(fake.submissions()).toBe(1)
  })

  it('uses a queued fault only on a valid submission', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'status', status: 503 })
    expect((await submitAsync(fake, { ...VALID, safety_tolerance: 7 })).status).toBe(422)
    expect((await submitAsync(fake, VALID)).status).toBe(503)
  })

  it('bills a malformed answer and a reset after accepting, but not a reset before', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'malformed' })
    const garbled = await submitAsync(fake, VALID)
    expect(garbled.status).toBe(200)
    expect(() => JSON.parse('{"id":"')).toThrow()
    expect(await garbled.text()).toBe('{"id":"')
    fake.failNext({ kind: 'reset-after-accept' })
    await expect(submitAsync(fake, VALID)).rejects.toThrow()
    fake.failNext({ kind: 'reset' })
    await expect(submitAsync(fake, VALID)).rejects.toThrow()
    expect(fake.submissions()).toBe(2)
  })

  it('ends a hanging request promptly on close', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'hang' })
    const hanging = submitAsync(fake, VALID)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await fake.close()
    await expect(hanging).rejects.toThrow()
  })

  it('gives the cross-host test a uniform handle', async () => {
    const handle = await startBflForRelayAsync()
    try {
      expect(Object.keys(handle.env).sort()).toEqual(['BFL_API_KEY', 'BFL_API_URL'])
      const response = await fetch(`${handle.env.BFL_API_URL}/v1/flux-kontext-max`, {
        method: 'POST',
        headers: { 'x-key': handle.env.BFL_API_KEY!, 'content-type': 'application/json' },
        body: JSON.stringify(VALID)
      })
      expect(response.status).toBe(200)
      expect(handle.submissions()).toBe(1)
      expect(handle.duplicates()).toBe(0)
    } finally {
      await handle.close()
    }
  })

  it('takes the common faults through the handle: a status refusal, then a truncated image', async () => {
    const handle = await startBflForRelayAsync()
    try {
      const submitThroughHandleAsync = () =>
        fetch(`${handle.env.BFL_API_URL}/v1/flux-kontext-max`, {
          method: 'POST',
          headers: { 'x-key': handle.env.BFL_API_KEY!, 'content-type': 'application/json' },
          // One seed, so both tasks render the same image and their sizes compare.
          body: JSON.stringify({ ...VALID, seed: 5 })
        })
      handle.failNext({ kind: 'status', status: 418, retryAfterSeconds: 2 })
      handle.failNext({ kind: 'truncated-image' })
      const refused = await submitThroughHandleAsync()
      expect(refused.status).toBe(418)
      expect(refused.headers.get('retry-after')).toBe('2')
      expect(await refused.json()).toEqual({ detail: "I'm a Teapot" })
      expect(handle.submissions()).toBe(0)

      const submit = (await (await submitThroughHandleAsync()).json()) as { polling_url: string }
      const ready = await pollUntilAsync(submit.polling_url, handle.env.BFL_API_KEY)
      const cut = await fetch((ready.result as { sample: string }).sample)
      expect(cut.status).toBe(200)
      const bytes = new Uint8Array(await cut.arrayBuffer())
      // The next task has no fault: its sample is whole, and the first one half of it.
      const next = (await (await submitThroughHandleAsync()).json()) as { polling_url: string }
      const full = new Uint8Array(
        await (
          await fetch(((await pollUntilAsync(next.polling_url, handle.env.BFL_API_KEY)).result as { sample: string }).sample)
        ).arrayBuffer()
      )
      expect(bytes.byteLength).toBe(Math.floor(full.byteLength / 2))
      expect(handle.submissions()).toBe(2)
    } finally {
      await handle.close()
    }
  })
})
