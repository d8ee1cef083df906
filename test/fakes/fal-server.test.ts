/** The fake fal queue's and storage's own strictness (docs/hosts.md, "fal"), spoken to with plain fetch. */
import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeFalAsync, startFalForRelayAsync, type FakeFal } from './fal-server'
import { makePng } from './make-image'

const KEY = `id-${randomUUID()}:secret-${randomUUID()}`
const MAX = 'fal-ai/flux-pro/kontext/max'
const PNG_URI = `data:image/png;base64,${Buffer.from(makePng(64, 36)).toString('base64')}`

const fakes: FakeFal[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

async function startAsync(): Promise<FakeFal> {
  const fake = await startFakeFalAsync({ key: KEY })
  fakes.push(fake)
  return fake
}

const auth = (key = KEY): Record<string, string> => ({ authorization: `Key ${key}`, accept: 'application/json' })

async function submitAsync(fake: FakeFal, body: unknown, endpoint = MAX, headers: Record<string, string> = auth()): Promise<Response> {
  return fetch(`${fake.url}/${endpoint}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
}

interface Queued {
  request_id: string
  status: string
  queue_position: number
  response_url: string
  status_url: string
  cancel_url: string
}

/** The fake answers `body` at `endpoint` with a 422 naming the field at `loc` and the error `type`, as FastAPI does. */
async function expectRefusedAsync(endpoint: string, body: unknown, loc: ReadonlyArray<string | number>, type: string): Promise<void> {
  const fake = await startAsync()
  const queued = await queueAsync(fake, body, endpoint)
  const result = await getAsync(queued.response_url)
  expect(result.status).toBe(422)
  expect(result.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc, type })]))
}

async function queueAsync(fake: FakeFal, body: unknown, endpoint = MAX): Promise<Queued> {
  const response = await submitAsync(fake, body, endpoint)
  expect(response.status).toBe(200)
  return (await response.json()) as Queued
}

async function getAsync(url: string, headers = auth()): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}

describe('authentication (Authorization: Key <key>)', () => {
  it.each([
    ['no header', {}],
    ['a Bearer header', { authorization: `Bearer ${KEY}` }],
    ['a wrong key', auth('wrong:key')]
  ])('answers 401 to %s, on submit and on the queue URLs, and queues nothing', async (_name, headers) => {
    const fake = await startAsync()
    const submit = await submitAsync(fake, { prompt: 'x', image_url: PNG_URI }, MAX, headers)
    expect(submit.status).toBe(401)
    expect(await submit.json()).toEqual({ detail: expect.any(String) })
    const queued = await queueAsync(fake, { prompt: 'x', image_url: PNG_URI })
    expect((await getAsync(queued.status_url, headers)).status).toBe(401)
    expect(fake.submissions()).toBe(1)
  })
})

describe('routes', () => {
  it('answers 404 to an unknown endpoint and 405 to a GET of a known one', async () => {
    const fake = await startAsync()
    expect((await submitAsync(fake, { prompt: 'x', image_url: PNG_URI }, 'fal-ai/flux-pro/kontext/ultra')).status).toBe(404)
    expect((await getAsync(`${fake.url}/${MAX}`)).status).toBe(405)
  })

  it('answers 422 to a body that is not a JSON object', async () => {
    const fake = await startAsync()
    const response = await fetch(`${fake.url}/${MAX}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: '[1,2'
    })
    expect(response.status).toBe(422)
    expect(fake.submissions()).toBe(0)
  })
})

describe('the queue flow', () => {
  it('queues, answers with {owner}/{app} URLs only, and a hand-built full-path URL is 404', async () => {
    const fake = await startAsync()
    const queued = await queueAsync(fake, { prompt: 'x', image_url: PNG_URI, aspect_ratio: '16:9', output_format: 'png', num_images: 2 })
    const base = `${fake.url}/fal-ai/flux-pro/requests/${queued.request_id}`
    expect(queued).toEqual({
      request_id: expect.any(String),
      status: 'IN_QUEUE',
      queue_position: 0,
      response_url: base,
      status_url: `${base}/status`,
      cancel_url: `${base}/cancel`
    })
    expect((await getAsync(`${fake.url}/${MAX}/requests/${queued.request_id}/status`)).status).toBe(404)
    expect((await getAsync(`${fake.url}/fal-ai/flux-kontext/requests/${queued.request_id}/status`)).status).toBe(404)

    expect(await getAsync(queued.status_url)).toMatchObject({ status: 200, body: { status: 'COMPLETED' } })
    const result = await getAsync(queued.response_url)
    expect(result.status).toBe(200)
    expect(result.body).toMatchObject({
      seed: expect.any(Number),
      has_nsfw_concepts: [false, false],
      prompt: 'x',
      timings: expect.any(Object)
    })
    expect(result.body.images).toHaveLength(2)
    const image = result.body.images[0]
    expect(image).toMatchObject({ content_type: 'image/png', width: 1392, height: 752 })
    const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer())
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })
    expect(image.file_size).toBe(bytes.byteLength)
    expect(fake.submissions()).toBe(1)
  })

  it('answers 202 IN_QUEUE, 202 IN_PROGRESS, then 200 COMPLETED; the result before that is 400', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'progress', queuedPolls: 1, runningPolls: 1 })
    const queued = await queueAsync(fake, { prompt: 'x', image_url: PNG_URI })
    expect(await getAsync(queued.status_url)).toMatchObject({ status: 202, body: { status: 'IN_QUEUE', queue_position: 0 } })
    expect(await getAsync(queued.response_url)).toEqual({ status: 400, body: { detail: 'Request is still in progress' } })
    expect(await getAsync(queued.status_url)).toMatchObject({ status: 202, body: { status: 'IN_PROGRESS' } })
    expect(await getAsync(queued.status_url)).toMatchObject({ status: 200, body: { status: 'COMPLETED' } })
  })

  it('cancels a running request (202), and refuses once completed (400 ALREADY_COMPLETED)', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'stuck' })
    const stuck = await queueAsync(fake, { prompt: 'x', image_url: PNG_URI })
    const done = await queueAsync(fake, { prompt: 'x', image_url: PNG_URI })
    const cancel = await fetch(stuck.cancel_url, { method: 'PUT', headers: auth() })
    expect([cancel.status, await cancel.json()]).toEqual([202, { status: 'CANCELLATION_REQUESTED' }])
    const late = await fetch(done.cancel_url, { method: 'PUT', headers: auth() })
    expect([late.status, await late.json()]).toEqual([400, { status: 'ALREADY_COMPLETED' }])
    expect(fake.cancels).toEqual([stuck.request_id, done.request_id])
  })
})

describe('input validation: the request is queued, COMPLETED, and its 422 shows on the result', () => {
  const image_url = PNG_URI
  it.each([
    ['an unknown field', MAX, { prompt: 'x', image_url, width: 1024 }, ['body', 'width'], 'extra_forbidden'],
    ['an integer safety_tolerance', MAX, { prompt: 'x', image_url, safety_tolerance: 2 }, ['body', 'safety_tolerance'], 'literal_error'],
    ['safety_tolerance "0"', MAX, { prompt: 'x', image_url, safety_tolerance: '0' }, ['body', 'safety_tolerance'], 'literal_error'],
    ['guidance_scale 25', MAX, { prompt: 'x', image_url, guidance_scale: 25 }, ['body', 'guidance_scale'], 'less_than_equal'],
    ['num_images 5', MAX, { prompt: 'x', image_url, num_images: 5 }, ['body', 'num_images'], 'less_than_equal'],
    ['a bad aspect_ratio', MAX, { prompt: 'x', image_url, aspect_ratio: '5:4' }, ['body', 'aspect_ratio'], 'literal_error'],
    ['output_format webp', MAX, { prompt: 'x', image_url, output_format: 'webp' }, ['body', 'output_format'], 'literal_error'],
    ['a missing prompt', MAX, { image_url }, ['body', 'prompt'], 'missing'],
    ['image_url on /multi', `${MAX}/multi`, { prompt: 'x', image_url }, ['body', 'image_url'], 'extra_forbidden'],
    [
      'a non-image data URI',
      MAX,
      { prompt: 'x', image_url: `data:image/png;base64,${Buffer.from('hello world!').toString('base64')}` },
      ['body', 'image_url'],
      'image_load_error'
    ],
    [
      'a mislabelled data URI',
      MAX,
      { prompt: 'x', image_url: PNG_URI.replace('image/png', 'image/jpeg') },
      ['body', 'image_url'],
      'image_load_error'
    ],
    ['raw base64', MAX, { prompt: 'x', image_url: PNG_URI.split(',')[1] }, ['body', 'image_url'], 'file_download_error'],
    [
      'safety_tolerance on dev',
      'fal-ai/flux-kontext/dev',
      { prompt: 'x', image_url, safety_tolerance: '2' },
      ['body', 'safety_tolerance'],
      'extra_forbidden'
    ],
    [
      'aspect_ratio on dev',
      'fal-ai/flux-kontext/dev',
      { prompt: 'x', image_url, aspect_ratio: '1:1' },
      ['body', 'aspect_ratio'],
      'extra_forbidden'
    ],
    [
      '9 steps on dev',
      'fal-ai/flux-kontext/dev',
      { prompt: 'x', image_url, num_inference_steps: 9 },
      ['body', 'num_inference_steps'],
      'greater_than_equal'
    ],
    // fal-js `types/endpoints.ts`: `DevKontextEditInput` has no enhance_prompt.
    [
      'enhance_prompt on dev',
      'fal-ai/flux-kontext/dev',
      { prompt: 'x', image_url, enhance_prompt: false },
      ['body', 'enhance_prompt'],
      'extra_forbidden'
    ],
    [
      'a URL the fake did not serve',
      MAX,
      { prompt: 'x', image_url: 'https://v3b.fal.media/files/x.png' },
      ['body', 'image_url'],
      'fake_unsupported'
    ]
  ])('rejects %s', async (_name, endpoint, body, loc, type) => {
    const fake = await startAsync()
    const queued = await queueAsync(fake, body, endpoint)
    expect(await getAsync(queued.status_url)).toMatchObject({ status: 200, body: { status: 'COMPLETED' } })
    const result = await getAsync(queued.response_url)
    expect(result.status).toBe(422)
    expect(result.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc, type })]))
  })

  it('accepts the dev schema with steps and resolution_mode, and /multi with image_urls', async () => {
    const fake = await startAsync()
    const dev = await queueAsync(
      fake,
      { prompt: 'x', image_url: PNG_URI, num_inference_steps: 28, guidance_scale: 2.5, resolution_mode: '1:1' },
      'fal-ai/flux-kontext/dev'
    )
    // `DevKontextEditInput.output_format` defaults to jpeg, like every Kontext schema.
    expect((await getAsync(dev.response_url)).body.images[0]).toMatchObject({ width: 1024, height: 1024, content_type: 'image/jpeg' })
    const multi = await queueAsync(fake, { prompt: 'x', image_urls: [PNG_URI, PNG_URI], safety_tolerance: '6' }, `${MAX}/multi`)
    expect(multi.status_url).toContain('/fal-ai/flux-pro/requests/')
    expect((await getAsync(multi.response_url)).body.images[0]).toMatchObject({ content_type: 'image/jpeg', width: 1392, height: 752 })
  })
})

describe('FLUX.2 edits (fal-js `Flux2FlexEditInput`, `Flux2MaxEditInput` = `Flux2ProEditInput`)', () => {
  const FLEX = 'fal-ai/flux-2-flex/edit'
  const PRO = 'fal-ai/flux-2-pro/edit'
  const FLUX2_MAX = 'fal-ai/flux-2-max/edit'
  const image_urls = [PNG_URI]

  it.each([
    // Kontext-only fields: FLUX.2's edit schemas lack them.
    ['aspect_ratio on [pro]', PRO, { prompt: 'x', image_urls, aspect_ratio: '16:9' }, ['body', 'aspect_ratio'], 'extra_forbidden'],
    [
      'enhance_prompt on [max]',
      FLUX2_MAX,
      { prompt: 'x', image_urls, enhance_prompt: false },
      ['body', 'enhance_prompt'],
      'extra_forbidden'
    ],
    ['num_images on [flex]', FLEX, { prompt: 'x', image_urls, num_images: 1 }, ['body', 'num_images'], 'extra_forbidden'],
    ['image_url in place of image_urls', PRO, { prompt: 'x', image_url: PNG_URI }, ['body', 'image_url'], 'extra_forbidden'],
    ['no image_urls', PRO, { prompt: 'x' }, ['body', 'image_urls'], 'missing'],
    ['an empty image_urls', FLEX, { prompt: 'x', image_urls: [] }, ['body', 'image_urls'], 'too_short'],
    // [flex]'s settings are not [pro]'s or [max]'s.
    ['guidance_scale on [pro]', PRO, { prompt: 'x', image_urls, guidance_scale: 3.5 }, ['body', 'guidance_scale'], 'extra_forbidden'],
    [
      'num_inference_steps on [max]',
      FLUX2_MAX,
      { prompt: 'x', image_urls, num_inference_steps: 28 },
      ['body', 'num_inference_steps'],
      'extra_forbidden'
    ],
    ['51 steps on [flex]', FLEX, { prompt: 'x', image_urls, num_inference_steps: 51 }, ['body', 'num_inference_steps'], 'less_than_equal'],
    ['guidance 1 on [flex]', FLEX, { prompt: 'x', image_urls, guidance_scale: 1 }, ['body', 'guidance_scale'], 'greater_than_equal'],
    [
      'fractional steps on [flex]',
      FLEX,
      { prompt: 'x', image_urls, num_inference_steps: 28.5 },
      ['body', 'num_inference_steps'],
      'int_type'
    ],
    // FLUX.2's safety scale is the strings "1"–"5": Kontext's "6" and BFL's integers are not in it.
    ['safety_tolerance "6"', PRO, { prompt: 'x', image_urls, safety_tolerance: '6' }, ['body', 'safety_tolerance'], 'literal_error'],
    ['an integer safety_tolerance', FLEX, { prompt: 'x', image_urls, safety_tolerance: 2 }, ['body', 'safety_tolerance'], 'literal_error'],
    ['output_format webp', FLUX2_MAX, { prompt: 'x', image_urls, output_format: 'webp' }, ['body', 'output_format'], 'literal_error'],
    [
      'an image_size off the ×16 grid',
      PRO,
      { prompt: 'x', image_urls, image_size: { width: 1000, height: 624 } },
      ['body', 'image_size', 'width'],
      'multiple_of'
    ],
    [
      'an image_size over 4 MP',
      PRO,
      { prompt: 'x', image_urls, image_size: { width: 2560, height: 1760 } },
      ['body', 'image_size'],
      'value_error'
    ],
    [
      'an image_size with a ratio in it',
      PRO,
      { prompt: 'x', image_urls, image_size: { width: 1024, height: 640, aspect_ratio: '16:10' } },
      ['body', 'image_size', 'aspect_ratio'],
      'extra_forbidden'
    ],
    ['nine references', FLEX, { prompt: 'x', image_urls: Array.from({ length: 9 }, () => PNG_URI) }, ['body', 'image_urls'], 'too_long'],
    [
      'a non-image reference',
      FLUX2_MAX,
      { prompt: 'x', image_urls: [PNG_URI, `data:image/png;base64,${Buffer.from('not an image').toString('base64')}`] },
      ['body', 'image_urls', 1],
      'image_load_error'
    ]
  ])('rejects %s', async (_name, endpoint, body, loc, type) => {
    await expectRefusedAsync(endpoint, body, loc, type)
  })

  it('answers [flex] with one image of exactly the image_size asked, and Emu35Output’s fields only', async () => {
    const fake = await startAsync()
    const queued = await queueAsync(
      fake,
      {
        prompt: 'x',
        image_urls: [PNG_URI, PNG_URI],
        image_size: { width: 1440, height: 896 },
        num_inference_steps: 50,
        guidance_scale: 5,
        safety_tolerance: '5',
        enable_safety_checker: true,
        output_format: 'png',
        seed: 7,
        sync_mode: false
      },
      FLEX
    )
    expect(queued.status_url).toBe(`${fake.url}/fal-ai/flux-2-flex/requests/${queued.request_id}/status`)
    const result = await getAsync(queued.response_url)
    expect(result.status).toBe(200)
    expect(Object.keys(result.body).sort()).toEqual(['images', 'seed'])
    expect(result.body.seed).toBe(7)
    expect(result.body.images).toHaveLength(1)
    const [image] = result.body.images
    expect(Object.keys(image).sort()).toEqual(['content_type', 'file_name', 'file_size', 'height', 'url', 'width'])
    expect(image).toMatchObject({ content_type: 'image/png', width: 1440, height: 896 })
    const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer())
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1440, height: 896 })
  })

  it.each([
    ['no image_size ("auto"): the reference’s own size on ×16', undefined, { width: 192, height: 112 }],
    ['a preset', 'landscape_16_9', { width: 1024, height: 576 }],
    ['a size with only a width (height defaults to 512)', { width: 768 }, { width: 768, height: 512 }]
  ])('sizes [pro] by %s, in jpeg by default', async (_name, imageSizeField, expected) => {
    const fake = await startAsync()
    const reference = `data:image/png;base64,${Buffer.from(makePng(200, 120)).toString('base64')}`
    const body = { prompt: 'x', image_urls: [reference], ...(imageSizeField === undefined ? {} : { image_size: imageSizeField }) }
    const result = await getAsync((await queueAsync(fake, body, PRO)).response_url)
    expect(result.body.images[0]).toMatchObject({ content_type: 'image/jpeg', ...expected })
  })
})

describe('FLUX.2 [klein] edits (fal-js `Flux2Klein4bEditInput` = `Flux2Klein9bEditInput`)', () => {
  const KLEIN_4B = 'fal-ai/flux-2/klein/4b/edit'
  const KLEIN_9B = 'fal-ai/flux-2/klein/9b/edit'
  const image_urls = [PNG_URI]

  it.each([
    // FLUX.2 [pro]'s (partner) fields: klein's own schema lacks them.
    [
      '[pro]’s safety_tolerance',
      KLEIN_4B,
      { prompt: 'x', image_urls, safety_tolerance: '2' },
      ['body', 'safety_tolerance'],
      'extra_forbidden'
    ],
    ['[flex]’s guidance_scale', KLEIN_9B, { prompt: 'x', image_urls, guidance_scale: 3.5 }, ['body', 'guidance_scale'], 'extra_forbidden'],
    [
      'Kontext’s enhance_prompt',
      KLEIN_4B,
      { prompt: 'x', image_urls, enhance_prompt: false },
      ['body', 'enhance_prompt'],
      'extra_forbidden'
    ],
    ['Kontext’s aspect_ratio', KLEIN_9B, { prompt: 'x', image_urls, aspect_ratio: '16:9' }, ['body', 'aspect_ratio'], 'extra_forbidden'],
    ['image_url in place of image_urls', KLEIN_4B, { prompt: 'x', image_url: PNG_URI }, ['body', 'image_url'], 'extra_forbidden'],
    ['no image_urls', KLEIN_4B, { prompt: 'x' }, ['body', 'image_urls'], 'missing'],
    [
      'five references',
      KLEIN_9B,
      { prompt: 'x', image_urls: Array.from({ length: 5 }, () => PNG_URI) },
      ['body', 'image_urls'],
      'too_long'
    ],
    [
      'image_size "auto" (FLUX.2’s, not klein’s)',
      KLEIN_4B,
      { prompt: 'x', image_urls, image_size: 'auto' },
      ['body', 'image_size'],
      'value_error'
    ],
    [
      'an image_size off the ×16 grid',
      KLEIN_4B,
      { prompt: 'x', image_urls, image_size: { width: 1000, height: 624 } },
      ['body', 'image_size', 'width'],
      'multiple_of'
    ],
    [
      'an image_size over 4 MP',
      KLEIN_9B,
      { prompt: 'x', image_urls, image_size: { width: 2560, height: 1760 } },
      ['body', 'image_size'],
      'value_error'
    ],
    ['num_images 5', KLEIN_4B, { prompt: 'x', image_urls, num_images: 5 }, ['body', 'num_images'], 'less_than_equal'],
    ['num_images 0', KLEIN_4B, { prompt: 'x', image_urls, num_images: 0 }, ['body', 'num_images'], 'greater_than_equal'],
    ['9 steps', KLEIN_9B, { prompt: 'x', image_urls, num_inference_steps: 9 }, ['body', 'num_inference_steps'], 'less_than_equal'],
    ['3 steps', KLEIN_4B, { prompt: 'x', image_urls, num_inference_steps: 3 }, ['body', 'num_inference_steps'], 'greater_than_equal'],
    ['output_format gif', KLEIN_4B, { prompt: 'x', image_urls, output_format: 'gif' }, ['body', 'output_format'], 'literal_error'],
    [
      'a string enable_safety_checker',
      KLEIN_9B,
      { prompt: 'x', image_urls, enable_safety_checker: 'yes' },
      ['body', 'enable_safety_checker'],
      'bool_type'
    ]
  ])('rejects %s', async (_name, endpoint, body, loc, type) => {
    await expectRefusedAsync(endpoint, body, loc, type)
  })

  it('answers 4B with num_images images of exactly the image_size asked, in webp, as `v4Output`', async () => {
    const fake = await startAsync()
    const queued = await queueAsync(
      fake,
      {
        prompt: 'x',
        image_urls: [PNG_URI, PNG_URI],
        image_size: { width: 1440, height: 896 },
        num_images: 2,
        num_inference_steps: 8,
        enable_safety_checker: true,
        output_format: 'webp',
        seed: 9,
        sync_mode: false
      },
      KLEIN_4B
    )
    // The queue URLs carry {owner}/{app} only: `fal-ai/flux-2`.
    expect(queued.status_url).toBe(`${fake.url}/fal-ai/flux-2/requests/${queued.request_id}/status`)
    const result = await getAsync(queued.response_url)
    expect(result.status).toBe(200)
    expect(Object.keys(result.body).sort()).toEqual(['has_nsfw_concepts', 'images', 'prompt', 'seed', 'timings'])
    expect(result.body).toMatchObject({ seed: 9, prompt: 'x', has_nsfw_concepts: [false, false] })
    expect(result.body.images).toHaveLength(2)
    for (const image of result.body.images) {
      expect(image).toMatchObject({ content_type: 'image/webp', width: 1440, height: 896 })
      const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer())
      expect(imageSize(bytes)).toMatchObject({ type: 'webp', width: 1440, height: 896 })
    }
  })

  it.each([
    // "If not provided, uses the input image size": 200×120, on the ×16 grid.
    ['no image_size: the input image’s own size', undefined, { width: 192, height: 112 }],
    ['a preset', 'portrait_4_3', { width: 768, height: 1024 }]
  ])('sizes 9B by %s, in png by default, one image by default', async (_name, imageSizeField, expected) => {
    const fake = await startAsync()
    const reference = `data:image/png;base64,${Buffer.from(makePng(200, 120)).toString('base64')}`
    const body = { prompt: 'x', image_urls: [reference], ...(imageSizeField === undefined ? {} : { image_size: imageSizeField }) }
    const result = await getAsync((await queueAsync(fake, body, KLEIN_9B)).response_url)
    expect(result.body.images).toHaveLength(1)
    expect(result.body.images[0]).toMatchObject({ content_type: 'image/png', ...expected })
  })

  it('flags klein images with the nsfw fault, as its `v4Output` carries has_nsfw_concepts', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'nsfw', indexes: [1] })
    const queued = await queueAsync(fake, { prompt: 'x', image_urls, num_images: 2 }, KLEIN_4B)
    expect((await getAsync(queued.response_url)).body.has_nsfw_concepts).toEqual([false, true])
  })
})

describe('storage (fal-js storage.ts)', () => {
  const PNG = makePng(64, 36, 5)

  async function initiateAsync(fake: FakeFal, headers: Record<string, string> = auth()): Promise<Response> {
    return fetch(`${fake.url}/storage/upload/initiate?storage_type=fal-cdn-v3`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ content_type: 'image/png', file_name: 'reference-1.png' })
    })
  }

  it('initiates with the key, takes the bytes on the presigned URL without it, serves them publicly, and a model reads them', async () => {
    const fake = await startAsync()
    expect((await initiateAsync(fake, {})).status).toBe(401)
    const initiated = await initiateAsync(fake)
    expect(initiated.status).toBe(200)
    const { upload_url: uploadUrl, file_url: fileUrl } = (await initiated.json()) as { upload_url: string; file_url: string }

    // Before the PUT the file is not there, for a GET or for a model.
    expect((await fetch(fileUrl)).status).toBe(404)
    const early = await queueAsync(fake, { prompt: 'x', image_url: fileUrl })
    expect((await getAsync(early.response_url)).body.detail).toEqual([expect.objectContaining({ type: 'file_download_error' })])

    // The presigned URL is its own credential: a second one is refused.
    expect(
      (await fetch(uploadUrl, { method: 'PUT', headers: { ...auth(), 'content-type': 'image/png' }, body: new Uint8Array(PNG) })).status
    ).toBe(400)
    expect(
      (await fetch(uploadUrl.replace(/signature=[^&]+/, 'signature=forged'), { method: 'PUT', body: new Uint8Array(PNG) })).status
    ).toBe(403)
    expect(fake.uploads).toEqual([])
    expect((await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(PNG) })).status).toBe(
      200
    )
    expect(fake.uploads).toEqual([{ fileUrl, contentType: 'image/png', fileName: 'reference-1.png', bytes: new Uint8Array(PNG) }])

    const served = await fetch(fileUrl)
    expect(served.status).toBe(200)
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(new Uint8Array(PNG))
    const queued = await queueAsync(fake, { prompt: 'x', image_url: fileUrl, aspect_ratio: '1:1' })
    expect((await getAsync(queued.response_url)).status).toBe(200)
  })

  it('refuses an initiate body that is not {content_type, file_name}', async () => {
    const fake = await startAsync()
    const response = await fetch(`${fake.url}/storage/upload/initiate?storage_type=fal-cdn-v3`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/png' })
    })
    expect(response.status).toBe(422)
  })

  it('uses an upload fault on the step it names', async () => {
    const fake = await startAsync()
    fake.failNextUpload({ step: 'put', kind: 'status', status: 503 })
    fake.failNextUpload({ step: 'initiate', kind: 'status', status: 429, retryAfterSeconds: 2 })
    const refused = await initiateAsync(fake)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2')
    const { upload_url: uploadUrl } = (await (await initiateAsync(fake)).json()) as { upload_url: string }
    expect((await fetch(uploadUrl, { method: 'PUT', body: new Uint8Array(PNG) })).status).toBe(503)
    expect((await fetch(uploadUrl, { method: 'PUT', body: new Uint8Array(PNG) })).status).toBe(200)
    expect(fake.submissions()).toBe(0)
  })
})

describe('faults', () => {
  it('refuses with 429, Retry-After and X-Fal-Error-Type, queuing nothing', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 3 })
    const response = await submitAsync(fake, { prompt: 'x', image_url: PNG_URI })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('3')
    expect(response.headers.get('x-fal-error-type')).toBe('concurrent_requests_limit')
    expect(fake.submissions()).toBe(0)
  })

  it('answers an empty balance with 403 "User is locked. Reason: Exhausted balance"', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'balance' })
    const response = await submitAsync(fake, { prompt: 'x', image_url: PNG_URI })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/Exhausted balance/)
  })

  it('uses a fault only on a valid request', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'status', status: 402 })
    await queueAsync(fake, { prompt: 'x', image_url: PNG_URI, bogus: 1 })
    expect((await submitAsync(fake, { prompt: 'x', image_url: PNG_URI })).status).toBe(402)
  })

  it('serves an expired result as 404 and a truncated image cut in half', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'expired' })
    fake.failNext({ kind: 'truncated-image' })
    const expired = (await getAsync((await queueAsync(fake, { prompt: 'x', image_url: PNG_URI, output_format: 'png' })).response_url)).body
      .images[0]
    expect((await fetch(expired.url)).status).toBe(404)
    const truncated = (await getAsync((await queueAsync(fake, { prompt: 'x', image_url: PNG_URI, output_format: 'png' })).response_url))
      .body.images[0]
    expect((await (await fetch(truncated.url)).arrayBuffer()).byteLength).toBe(Math.floor(truncated.file_size / 2))
  })

  it('close() ends a hanging submit at once', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'hang' })
    const pending = submitAsync(fake, { prompt: 'x', image_url: PNG_URI })
    while (fake.submitAttempts() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await fake.close()
    await expect(pending).rejects.toThrow()
  })
})

it('startFalForRelayAsync gives the relay its key and URL and counts submissions', async () => {
  const handle = await startFalForRelayAsync()
  try {
    expect(Object.keys(handle.env).sort()).toEqual(['FAL_KEY', 'FAL_QUEUE_URL', 'FAL_STORAGE_URL'])
    expect(handle.env.FAL_STORAGE_URL).toBe(handle.env.FAL_QUEUE_URL)
    const response = await fetch(`${handle.env.FAL_QUEUE_URL}/${MAX}`, {
      method: 'POST',
      headers: { authorization: `Key ${handle.env.FAL_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', image_url: PNG_URI })
    })
    expect(response.status).toBe(200)
    expect(handle.submissions()).toBe(1)
  } finally {
    await handle.close()
  }
})

it('startFalForRelayAsync’s failNext reaches the fake with the common fault names, and duplicates() is 0', async () => {
  const handle = await startFalForRelayAsync()
  const submitAsync = () =>
    fetch(`${handle.env.FAL_QUEUE_URL}/${MAX}`, {
      method: 'POST',
      headers: { authorization: `Key ${handle.env.FAL_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', image_url: PNG_URI })
    })
  try {
    handle.failNext({ kind: 'status', status: 503, retryAfterSeconds: 1 }, 2)
    handle.failNext({ kind: 'reset-after-accept' })
    for (let i = 0; i < 2; i += 1) {
      const refused = await submitAsync()
      expect([refused.status, refused.headers.get('retry-after'), refused.headers.get('x-fal-error-type')]).toEqual([
        503,
        '1',
        'runner_scheduling_failure'
      ])
    }
    expect(handle.submissions()).toBe(0)
    // Queued (billed), then the answer is lost.
    await expect(submitAsync()).rejects.toThrow()
    expect(handle.submissions()).toBe(1)
    expect((await submitAsync()).status).toBe(200)
    expect(handle.submissions()).toBe(2)
    expect(handle.duplicates()).toBe(0)
  } finally {
    await handle.close()
  }
})

it('a common status fault with a status fal has no set body for still answers fal’s error shape', async () => {
  const fake = await startAsync()
  fake.failNext({ kind: 'status', status: 418 })
  const response = await submitAsync(fake, { prompt: 'x', image_url: PNG_URI })
  expect(response.status).toBe(418)
  expect(await response.json()).toEqual({ detail: 'Simulated 418' })
  expect(fake.submissions()).toBe(0)
})
