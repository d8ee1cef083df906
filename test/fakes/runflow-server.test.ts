/**
 * The fake Runflow's own strictness and shapes (sources in its header; host notes in docs/hosts.md,
 * "Runflow"): it must refuse what Runflow refuses, and produce each documented result shape, or a
 * relay bug would pass the contract tests.
 */
import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { makePng } from './make-image'
import {
  startFakeRunflowAsync,
  startRunflowForRelayAsync,
  type FakeRunflow,
  type FakeRunflowOptions,
  type RunflowOutputShape
} from './runflow-server'

const KEY = 'rf_live_selftest_0123456789'
const PNG = makePng(64, 64, 1)
const DATA_URI = `data:image/png;base64,${Buffer.from(PNG).toString('base64')}`
const PRO = 'black-forest-labs/flux-pro/kontext'

const fakes: FakeRunflow[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

async function startAsync(options: Partial<FakeRunflowOptions> = {}): Promise<FakeRunflow> {
  const fake = await startFakeRunflowAsync({ apiKey: KEY, ...options })
  fakes.push(fake)
  return fake
}

async function callAsync(fake: FakeRunflow, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) })
  })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, json: json as Record<string, unknown>, text }
}

const runAsync = (fake: FakeRunflow, input: Record<string, unknown>, model = PRO) =>
  callAsync(fake, 'POST', `/v1/models/${model}/runs`, { input })
const valid = (extra: Record<string, unknown> = {}) => ({ prompt: 'Make the sky purple', image_url: DATA_URI, ...extra })

/** The normalized output's image URLs (docs.runflow.io/concepts/runs). */
function outputUrls(json: Record<string, unknown>): string[] {
  const output = json.output as { type: string; outputs: Array<{ url: string }> }
  expect(output.type).toBe('image')
  return output.outputs.map((item) => item.url)
}

describe('authentication', () => {
  it.each([
    ['no header', undefined],
    ['another scheme', `Key ${KEY}`],
    ['the x-api-key style key in Bearer form but wrong', 'Bearer rf_live_wrong'],
    ['a lowercase scheme', `bearer ${KEY}`]
  ])('answers 401 UNAUTHORIZED for %s', async (_name, header) => {
    const fake = await startAsync()
    const response = await fetch(`${fake.url}/v1/models/${PRO}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header === undefined ? {} : { authorization: header }) },
      body: JSON.stringify({ input: valid() })
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), errors: null })
    expect(fake.submissions()).toBe(0)
  })
})

describe('run input validation (fal’s Kontext schema)', () => {
  it.each([
    ['safety_tolerance as a number', { safety_tolerance: 2 }, 'input.safety_tolerance'],
    ['safety_tolerance "0"', { safety_tolerance: '0' }, 'input.safety_tolerance'],
    ['safety_tolerance "7"', { safety_tolerance: '7' }, 'input.safety_tolerance'],
    ['an unknown field', { prompt_upsampling: true }, 'input.prompt_upsampling'],
    ['a ratio outside the nine', { aspect_ratio: '2:1' }, 'input.aspect_ratio'],
    ['a fal size preset', { aspect_ratio: 'square_hd' }, 'input.aspect_ratio'],
    ['num_images 5', { num_images: 5 }, 'input.num_images'],
    ['num_images 0', { num_images: 0 }, 'input.num_images'],
    ['guidance_scale 0.5', { guidance_scale: 0.5 }, 'input.guidance_scale'],
    ['guidance_scale 21', { guidance_scale: 21 }, 'input.guidance_scale'],
    ['guidance_scale as a string', { guidance_scale: '3.5' }, 'input.guidance_scale'],
    ['output_format webp', { output_format: 'webp' }, 'input.output_format'],
    ['enhance_prompt as a string', { enhance_prompt: 'true' }, 'input.enhance_prompt'],
    ['a fractional seed', { seed: 1.5 }, 'input.seed'],
    ['image_urls on a single model', { image_urls: [DATA_URI] }, 'input.image_urls'],
    ['an empty prompt', { prompt: '' }, 'input.prompt']
  ])('422 for %s', async (_name, extra, field) => {
    const fake = await startAsync()
    const response = await runAsync(fake, valid(extra))
    expect(response.status).toBe(422)
    expect(response.json).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) })
    expect((response.json.errors as Array<{ field: string }>).map((error) => error.field)).toContain(field)
    expect(fake.submissions()).toBe(0)
  })

  it('422 for a missing image_url, and for image_url on the multi model', async () => {
    const fake = await startAsync()
    expect((await runAsync(fake, { prompt: 'No image' })).status).toBe(422)
    expect((await runAsync(fake, valid(), `${PRO}/max/multi`)).status).toBe(422)
    expect((await runAsync(fake, { prompt: 'Two', image_urls: [DATA_URI, DATA_URI] }, `${PRO}/max/multi`)).status).toBe(201)
  })

  it.each([
    ['text posing as a PNG', `data:image/png;base64,${Buffer.from('hello world!').toString('base64')}`],
    ['a JPEG label on PNG bytes', DATA_URI.replace('image/png', 'image/jpeg')],
    ['broken base64', 'data:image/png;base64,@@@@'],
    ['raw base64 without a data URI', Buffer.from(PNG).toString('base64')],
    ['an asset:// reference (not a Runflow form)', 'asset://3c90c3cc-0d44-4b50-8888-8dd25736052a'],
    ['a runflow:// ref to no asset', 'runflow://assets/3c90c3cc-0d44-4b50-8888-8dd25736052a']
  ])('422 for a reference that is %s', async (_name, imageUrl) => {
    const fake = await startAsync()
    const response = await runAsync(fake, valid({ image_url: imageUrl }))
    expect(response.status).toBe(422)
    expect(response.json.errors).toEqual([{ field: 'input.image_url', message: expect.any(String) }])
  })

  it('refuses to pretend it fetched a URL (400 FAKE_UNSUPPORTED)', async () => {
    const fake = await startAsync()
    const response = await runAsync(fake, valid({ image_url: 'https://example.com/a.png' }))
    expect(response).toMatchObject({ status: 400, json: { code: 'FAKE_UNSUPPORTED' } })
  })

  it('400 for a body that is not JSON, 422 for unknown top-level keys, 404 for an unknown model', async () => {
    const fake = await startAsync()
    expect((await callAsync(fake, 'POST', `/v1/models/${PRO}/runs`, '{"input":')).json).toMatchObject({ code: 'BAD_REQUEST' })
    expect((await callAsync(fake, 'POST', `/v1/models/${PRO}/runs`, { input: valid() }, { 'content-type': 'text/plain' })).status).toBe(400)
    expect((await callAsync(fake, 'POST', `/v1/models/${PRO}/runs`, { input: valid(), webhook: 'x' })).status).toBe(422)
    expect(await runAsync(fake, valid(), 'black-forest-labs/flux-pro/kontext/ultra')).toMatchObject({
      status: 404,
      json: { code: 'MODEL_NOT_FOUND' }
    })
  })
})

describe('a run', () => {
  it('answers 201 queued with a UUIDv7 id, then succeeds with real images at the ratio’s size and a string cost', async () => {
    const fake = await startAsync()
    const created = await runAsync(fake, valid({ aspect_ratio: '1:1', output_format: 'png', num_images: 2, seed: 5 }))
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ status_code: 'queued', output: null, model_id: PRO })
    const id = String(created.json.id)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)

    const run = await callAsync(fake, 'GET', `/v1/runs/${id}`)
    expect(run.json).toMatchObject({ id, status_code: 'succeeded', cost: '0.16', completed_at: expect.stringMatching(/\+00:00$/) })
    const urls = outputUrls(run.json)
    expect(urls).toHaveLength(2)
    expect(run.json.error).toBeNull()
    const bytes = new Uint8Array(await (await fetch(urls[0]!)).arrayBuffer())
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1024, height: 1024 })
    expect(fake.submissions()).toBe(1)
  })

  it('moves queued → dispatching/running → succeeded over latencyMs', async () => {
    const fake = await startAsync({ latencyMs: 300 })
    const id = String((await runAsync(fake, valid({ aspect_ratio: '1:1' }))).json.id)
    const first = (await callAsync(fake, 'GET', `/v1/runs/${id}`)).json.status_code
    expect(['queued', 'dispatching', 'running']).toContain(first)
    await new Promise((resolve) => setTimeout(resolve, 350))
    expect((await callAsync(fake, 'GET', `/v1/runs/${id}`)).json.status_code).toBe('succeeded')
  })

  it('sync_mode returns data URIs as the output URLs', async () => {
    const fake = await startAsync()
    const id = String((await runAsync(fake, valid({ sync_mode: true, aspect_ratio: '1:1' }))).json.id)
    const urls = outputUrls((await callAsync(fake, 'GET', `/v1/runs/${id}`)).json)
    expect(urls[0]).toMatch(/^data:image\/jpeg;base64,/)
  })

  it('404 RUN_NOT_FOUND for an unknown run; presigned results refuse an Authorization header', async () => {
    const fake = await startAsync()
    expect((await callAsync(fake, 'GET', '/v1/runs/01900000-0000-7000-8000-000000000000')).json).toMatchObject({ code: 'RUN_NOT_FOUND' })
    const id = String((await runAsync(fake, valid({ aspect_ratio: '1:1' }))).json.id)
    const url = outputUrls((await callAsync(fake, 'GET', `/v1/runs/${id}`)).json)[0]!
    expect((await fetch(url, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(400)
    expect((await fetch(url.split('?')[0]!)).status).toBe(403)
  })

  it('moderation fails the run with the SDK’s error {code, message}; a failed run costs "0"', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'moderation' })
    const id = String((await runAsync(fake, valid())).json.id)
    const run = (await callAsync(fake, 'GET', `/v1/runs/${id}`)).json
    expect(run).toMatchObject({
      status_code: 'failed',
      output: null,
      cost: '0',
      error: { code: 'CONTENT_POLICY_VIOLATION', message: expect.any(String) }
    })
    expect(run).not.toHaveProperty('failure_code')
  })

  it('runErrorForm failure_fields: the older failure_code / failure_stage / failure_message', async () => {
    const fake = await startAsync({ runErrorForm: 'failure_fields' })
    fake.failNext({ kind: 'moderation' })
    const id = String((await runAsync(fake, valid())).json.id)
    const run = (await callAsync(fake, 'GET', `/v1/runs/${id}`)).json
    expect(run).toMatchObject({
      status_code: 'failed',
      failure_code: 'CONTENT_POLICY_VIOLATION',
      failure_stage: 'inference',
      failure_message: expect.any(String)
    })
    expect(run).not.toHaveProperty('error')
  })

  it.each<[RunflowOutputShape, (output: Record<string, unknown>) => unknown]>([
    ['image_urls', (output) => (output.image_urls as string[])[0]],
    ['image', (output) => (output.image as { url: string }).url],
    ['url', (output) => output.url],
    ['output_url', (output) => output.output_url]
  ])('outputShape %s puts the image URL where the SDK’s extractor looks', async (outputShape, pick) => {
    const fake = await startAsync({ outputShape })
    const id = String((await runAsync(fake, valid({ aspect_ratio: '1:1' }))).json.id)
    const output = (await callAsync(fake, 'GET', `/v1/runs/${id}`)).json.output as Record<string, unknown>
    expect(output).not.toHaveProperty('outputs')
    const url = String(pick(output))
    expect((await fetch(url)).status).toBe(200)
  })

  it('partial_succeeded: outputs[] holds the images that landed, and cost bills those', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'partial' })
    const id = String((await runAsync(fake, valid({ num_images: 3 }))).json.id)
    const run = (await callAsync(fake, 'GET', `/v1/runs/${id}`)).json
    expect(run).toMatchObject({ status_code: 'partial_succeeded', cost: '0.08' })
    expect(outputUrls(run)).toHaveLength(1)
  })

  it('httpErrorForm nested: {"error": {"code", "message"}}', async () => {
    const fake = await startAsync({ httpErrorForm: 'nested' })
    fake.failNext({ kind: 'status', status: 402 })
    expect((await runAsync(fake, valid())).json).toEqual({ error: { code: 'INSUFFICIENT_CREDIT', message: expect.any(String) } })
    expect((await callAsync(fake, 'GET', '/v1/runs/01900000-0000-7000-8000-000000000000')).json).toEqual({
      error: { code: 'RUN_NOT_FOUND', message: expect.any(String) }
    })
  })

  it('dataUris false: a data URI is refused as runflow:// was before refs were resolved at dispatch', async () => {
    const fake = await startAsync({ dataUris: false })
    const response = await runAsync(fake, valid())
    expect(response.status).toBe(422)
    expect(response.json.errors).toEqual([{ field: 'input.image_url', message: expect.stringContaining("got 'runflow'") }])
  })

  it('a 429 fault carries Retry-After and is not billed; a fault waits for a valid request', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 3 })
    expect((await runAsync(fake, valid({ safety_tolerance: 2 }))).status).toBe(422)
    const limited = await runAsync(fake, valid())
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect(limited.json).toEqual({ code: 'RATE_LIMITED', message: expect.any(String), errors: null })
    expect(fake.submissions()).toBe(0)
    expect((await runAsync(fake, valid())).status).toBe(201)
    expect(fake.submissions()).toBe(1)
  })

  it('close() ends a hanging request at once', async () => {
    const fake = await startAsync()
    fake.failNext({ kind: 'hang' })
    const pending = runAsync(fake, valid()).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await fake.close()
    expect(await pending).toBeInstanceOf(Error)
  })
})

describe('asset uploads (SDK assets.ts)', () => {
  async function uploadAsync(
    fake: FakeRunflow,
    bytes: Uint8Array,
    options: { putHeaders?: Record<string, string>; confirm?: boolean } = {}
  ) {
    const created = await callAsync(fake, 'POST', '/v1/asset-uploads', {
      filename: 'ref.png',
      mime_type: 'image/png',
      size_bytes: bytes.byteLength
    })
    expect(created.status).toBe(201)
    const { asset_id: assetId, upload_url: uploadUrl } = created.json as { asset_id: string; upload_url: string }
    const put = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'image/png', ...options.putHeaders },
      body: bytes.slice()
    })
    const confirmed =
      options.confirm === false ? undefined : await callAsync(fake, 'POST', `/v1/asset-uploads/${assetId}/confirmations`, {})
    return { assetId, put, confirmed }
  }

  it('validates the upload request: size_bytes 1 … 50 MiB, an image MIME type, no unknown keys', async () => {
    const fake = await startAsync()
    for (const body of [
      { filename: 'a.png', mime_type: 'image/png', size_bytes: 52_428_801 },
      { filename: 'a.png', mime_type: 'image/png', size_bytes: 0 },
      { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 10 },
      { filename: '', mime_type: 'image/png', size_bytes: 10 },
      { filename: 'a.png', mimeType: 'image/png', size_bytes: 10 }
    ]) {
      expect((await callAsync(fake, 'POST', '/v1/asset-uploads', body)).status).toBe(422)
    }
  })

  it('stores bytes PUT without auth, confirms them (201 Asset with a signed url), and accepts runflow://assets/{id} or that url in a run', async () => {
    const fake = await startAsync()
    const { assetId, put, confirmed } = await uploadAsync(fake, PNG)
    expect(put.status).toBe(200)
    expect(confirmed!.status).toBe(201)
    expect(confirmed!.json).toMatchObject({
      id: assetId,
      name: 'ref.png',
      mime_type: 'image/png',
      size_bytes: PNG.byteLength,
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)
    })
    expect(fake.assets[0]!.bytes).toEqual(PNG)
    expect((await runAsync(fake, valid({ image_url: `runflow://assets/${assetId}` }))).status).toBe(201)
    expect((await runAsync(fake, valid({ image_url: String(confirmed!.json.url) }))).status).toBe(201)
    expect((await runAsync(fake, valid({ image_url: `asset://${assetId}` }))).status).toBe(422)
  })

  it('accepts the SDK’s confirmation body {folder_id: null}', async () => {
    const fake = await startAsync()
    const created = await callAsync(fake, 'POST', '/v1/asset-uploads', {
      filename: 'ref.png',
      mime_type: 'image/png',
      size_bytes: PNG.byteLength
    })
    const { asset_id: assetId, upload_url: uploadUrl } = created.json as { asset_id: string; upload_url: string }
    await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: PNG.slice() })
    expect((await callAsync(fake, 'POST', `/v1/asset-uploads/${assetId}/confirmations`, { folder_id: null })).status).toBe(201)
  })

  it('assetRefs false: a runflow:// ref is refused as before refs were resolved at dispatch; the url still works', async () => {
    const fake = await startAsync({ assetRefs: false })
    const { assetId, confirmed } = await uploadAsync(fake, PNG)
    const refused = await runAsync(fake, valid({ image_url: `runflow://assets/${assetId}` }))
    expect(refused.status).toBe(422)
    expect(refused.json.errors).toEqual([{ field: 'input.image_url', message: expect.stringContaining("got 'runflow'") }])
    expect((await runAsync(fake, valid({ image_url: String(confirmed!.json.url) }))).status).toBe(201)
  })

  it('refuses a PUT with an Authorization header (400), a confirmation before any upload (409), an unconfirmed asset in a run (422)', async () => {
    const fake = await startAsync()
    const { put } = await uploadAsync(fake, PNG, { putHeaders: { authorization: `Bearer ${KEY}` }, confirm: false })
    expect(put.status).toBe(400)
    const created = await callAsync(fake, 'POST', '/v1/asset-uploads', {
      filename: 'b.png',
      mime_type: 'image/png',
      size_bytes: PNG.byteLength
    })
    const assetId = String(created.json.asset_id)
    expect((await callAsync(fake, 'POST', `/v1/asset-uploads/${assetId}/confirmations`, {})).status).toBe(409)
    expect((await runAsync(fake, valid({ image_url: `runflow://assets/${assetId}` }))).status).toBe(422)
  })

  it('refuses a run naming an asset that is not an image, a confirmation of bytes unlike the declaration, an expired upload URL', async () => {
    const fake = await startAsync()
    const { confirmed } = await uploadAsync(fake, PNG.subarray(0, 100).slice())
    expect(confirmed!.status).toBe(201)
    expect((await runAsync(fake, valid({ image_url: String(confirmed!.json.url) }))).status).toBe(422)
    const created = await callAsync(fake, 'POST', '/v1/asset-uploads', {
      filename: 'c.png',
      mime_type: 'image/png',
      size_bytes: PNG.byteLength + 1
    })
    const { asset_id: assetId, upload_url: uploadUrl } = created.json as { asset_id: string; upload_url: string }
    await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: PNG.slice() })
    expect((await callAsync(fake, 'POST', `/v1/asset-uploads/${assetId}/confirmations`, {})).status).toBe(422)

    fake.failNextUpload({ kind: 'expired-url' })
    expect((await uploadAsync(fake, PNG, { confirm: false })).put.status).toBe(403)
  })
})

it('startRunflowForRelayAsync points the relay at the fake', async () => {
  const host = await startRunflowForRelayAsync()
  try {
    expect(host.env).toEqual({
      RUNFLOW_API_KEY: expect.stringMatching(/^rf_live_/),
      RUNFLOW_API_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)
    })
    expect(host.submissions()).toBe(0)
    expect(host.duplicates()).toBe(0)
  } finally {
    await host.close()
  }
})

it('failNext through the relay handle reaches the fake: a common status fault, then a truncated image', async () => {
  const host = await startRunflowForRelayAsync()
  try {
    const createAsync = () =>
      fetch(`${host.env.RUNFLOW_API_URL}/v1/models/${PRO}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host.env.RUNFLOW_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: valid({ aspect_ratio: '1:1', output_format: 'png' }) })
      })
    host.failNext({ kind: 'status', status: 429, retryAfterSeconds: 2 })
    const refused = await createAsync()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' })
    expect(host.submissions()).toBe(0)

    host.failNext({ kind: 'truncated-image' })
    const created = await createAsync()
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    const run = (await (
      await fetch(`${host.env.RUNFLOW_API_URL}/v1/runs/${id}`, { headers: { authorization: `Bearer ${host.env.RUNFLOW_API_KEY}` } })
    ).json()) as Record<string, unknown>
    const result = await fetch(outputUrls(run)[0]!)
    expect(result.status).toBe(200)
    const bytes = new Uint8Array(await result.arrayBuffer())
    // A PNG's header, but not its IEND chunk: cut off half way.
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1024, height: 1024 })
    expect([...bytes.subarray(bytes.length - 8)]).not.toEqual([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])
    expect(host.submissions()).toBe(1)
  } finally {
    await host.close()
  }
})
