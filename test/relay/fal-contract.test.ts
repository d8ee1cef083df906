/**
 * The fal adapter against the strict fake fal queue and storage (test/fakes/fal-server.ts), through
 * the real relay over real HTTP: multipart edits as the plugin sends them, long-polled to their end.
 * The last test checks that fal's key never shows in any relay answer or log line.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { imageSize } from 'image-size'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { createFalProvider } from '../../relay/providers/fal/fal-provider'
import type { ProviderDeps, ProviderEditInput } from '../../relay/providers/provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { SAFETY_1_5 } from '../../shared/catalogue/offer-bases'
import { ERROR_MESSAGES } from '../../shared/errors'
import { estimateCostUsd, PROVIDERS } from '../../shared/models'
import { EditRequest, ModelsResponse, ROUTES, type EditJob, type EditRequestInput } from '../../shared/relay-api'
import { listenOnLoopbackAsync } from '../fakes/fake-http'
import { startFakeFalAsync, type FakeFal } from '../fakes/fal-server'
import { makePng } from '../fakes/make-image'
import { makeNoisyPng } from '../fakes/make-noisy-png'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { REFERENCE_PNG } from '../support/relay-session'

/** fal keys look like `key_id:key_secret` (docs/hosts.md, "fal"); unique per run, so a match is never a coincidence. */
const KEY = `fal-id-${randomUUID()}:fal-secret-${randomUUID()}`
const REFERENCE = REFERENCE_PNG // 16:9 → 1392x752
/** Over the 1 MB fal's references are uploaded above, like the plugin's ~1.1 MB frames. */
const LARGE_REFERENCE = makeNoisyPng(640, 640, 11)
const dataUri = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`

/** The fake fal, closed when the test ends. */
async function startFakeAsync(): Promise<FakeFal> {
  const fake = await startFakeFalAsync({ key: KEY })
  onTestFinished(() => fake.close())
  return fake
}

/** The relay configured for the fake fal, with the fake beside it for what fal was sent. */
async function startAsync(env: Record<string, string> = {}): Promise<HostContract & { fake: FakeFal }> {
  const fake = await startFakeFalAsync({ key: KEY })
  const contract = await startHostContractAsync(
    'fal',
    { FAL_KEY: KEY, FAL_QUEUE_URL: fake.url, FAL_STORAGE_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...env },
    { closeFakeAsync: () => fake.close(), reference: REFERENCE }
  )
  return { ...contract, fake }
}

function expectFailure(job: EditJob, code: keyof typeof ERROR_MESSAGES): void {
  expect(job.status).toBe('failed')
  // The client sees the relay's own words, never fal's text.
  expect(job.error).toEqual({ code, message: code === 'provider_not_configured' ? expect.any(String) : ERROR_MESSAGES[code] })
}

const requestsTo = (fake: FakeFal, method: string, pattern: RegExp) =>
  fake.requests.filter((request) => request.method === method && pattern.test(request.path))

const PROMPT = 'Make the sky purple'

describe('success', () => {
  it('one variant on Kontext [max]: the exact wire body and headers, the queue URLs fal returned, the CDN without the key', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const job = await harness.editAsync({ prompt: PROMPT, model: 'kontext-max' })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(job.images[0]).toMatchObject({ width: 1392, height: 752, contentType: 'image/png' })
    expect(job).toMatchObject({ cost: 0.08, costEstimated: true })
    const image = await harness.imageAsync(job, 0)
    expect(imageSize(image.bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })

    expect(fake.submissions()).toBe(1)
    const [queued] = fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-pro/kontext/max')
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_url: dataUri(REFERENCE),
      aspect_ratio: '16:9',
      guidance_scale: 3.5,
      num_images: 1,
      output_format: 'png',
      safety_tolerance: '2',
      enhance_prompt: false
    })
    const [submit] = requestsTo(fake, 'POST', /./)
    expect(submit!.path).toBe('/fal-ai/flux-pro/kontext/max')
    expect(submit!.headers).toMatchObject({ authorization: `Key ${KEY}`, accept: 'application/json', 'content-type': 'application/json' })

    const id = queued!.requestId
    const statusPolls = requestsTo(fake, 'GET', /\/status$/)
    expect(statusPolls.length).toBeGreaterThan(0)
    for (const poll of statusPolls)
      expect(poll).toMatchObject({ path: `/fal-ai/flux-pro/requests/${id}/status`, headers: { authorization: `Key ${KEY}` } })
    expect(requestsTo(fake, 'GET', /\/requests\/[^/]+$/).map((request) => request.path)).toEqual([`/fal-ai/flux-pro/requests/${id}`])
    expect(fake.requests.some((request) => request.path.includes('/kontext/max/requests'))).toBe(false)

    // A reference under 1 MB goes inline: nothing is uploaded.
    expect(fake.requests.filter((request) => request.path.startsWith('/storage/'))).toEqual([])
    expect(fake.uploads).toEqual([])

    const cdn = requestsTo(fake, 'GET', /^\/cdn\//)
    expect(cdn.map((request) => request.path)).toEqual([`/cdn/files/${id}/0.png`])
    expect(cdn[0]!.headers.authorization).toBeUndefined()
    expect(fake.cancels).toEqual([])
  })

  it('four variants in one call with seed, jpeg, the strictest safety (0 → "1"), prompt upsampling and guidance', async () => {
    const harness = await startAsync()
    const request = {
      prompt: PROMPT,
      numImages: 4,
      seed: 42,
      outputFormat: 'jpeg',
      safetyTolerance: 0,
      promptUpsampling: true,
      guidance: 7.5,
      aspectRatio: '1:1'
    } as const
    const job = await harness.editAsync(request)

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(4)
    for (const image of job.images) expect(image).toMatchObject({ width: 1024, height: 1024, contentType: 'image/jpeg' })
    expect(job.images.map((image) => image.seed)).toEqual([42, undefined, undefined, undefined])
    const bytes = await Promise.all(
      job.images.map(async (_image, index) => Buffer.from((await harness.imageAsync(job, index)).bytes).toString('base64'))
    )
    expect(new Set(bytes).size).toBe(4)

    expect(harness.fake.submissions()).toBe(1)
    expect(harness.fake.queued[0]!.input).toStrictEqual({
      prompt: PROMPT,
      image_url: dataUri(REFERENCE),
      aspect_ratio: '1:1',
      guidance_scale: 7.5,
      num_images: 4,
      output_format: 'jpeg',
      safety_tolerance: '1',
      enhance_prompt: true,
      seed: 42
    })
  })

  it('several references go to the /multi endpoint as image_urls; the queue URLs stay on {owner}/{app}', async () => {
    const harness = await startAsync()
    const references = [REFERENCE, makePng(40, 40, 2), makePng(30, 60, 3)]
    const job = await harness.editAsync({ prompt: PROMPT, safetyTolerance: 6 }, references)

    expect(job.status).toBe('succeeded')
    expect(harness.fake.submissions()).toBe(1)
    const [queued] = harness.fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-pro/kontext/max/multi')
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: references.map(dataUri),
      aspect_ratio: '16:9',
      guidance_scale: 3.5,
      num_images: 1,
      output_format: 'png',
      safety_tolerance: '6',
      enhance_prompt: false
    })
    expect(requestsTo(harness.fake, 'GET', /\/status$/)[0]!.path).toBe(`/fal-ai/flux-pro/requests/${queued!.requestId}/status`)
  })

  it('Kontext [pro] uses its own endpoint id from the catalogue', async () => {
    const harness = await startAsync()
    const job = await harness.editAsync({ prompt: PROMPT, model: 'kontext-pro' })

    expect(job.status).toBe('succeeded')
    expect(harness.fake.queued.map((queued) => queued.endpoint)).toEqual([PROVIDERS.fal.offers['kontext-pro'].hostModelId])
  })

  it('Kontext [dev] takes steps, guidance and resolution_mode, and neither safety_tolerance nor enhance_prompt', async () => {
    const harness = await startAsync()
    const job = await harness.editAsync({ prompt: PROMPT, model: 'kontext-dev', steps: 30, aspectRatio: '4:3' })

    expect(job.status).toBe('succeeded')
    expect(job.images[0]).toMatchObject({ width: 1184, height: 880 })
    const [queued] = harness.fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-kontext/dev')
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_url: dataUri(REFERENCE),
      resolution_mode: '4:3',
      guidance_scale: 2.5,
      num_inference_steps: 30,
      num_images: 1,
      output_format: 'png'
    })
    expect(requestsTo(harness.fake, 'GET', /\/status$/)[0]!.path).toBe(`/fal-ai/flux-kontext/requests/${queued!.requestId}/status`)
  })

  it('refuses promptUpsampling on Kontext [dev], which fal’s dev schema lacks, before calling fal', async () => {
    const harness = await startAsync()
    const answer = await harness.postAsync({ model: 'kontext-dev', prompt: PROMPT, promptUpsampling: true })

    expect(answer.status).toBe(400)
    expect(await answer.json()).toMatchObject({
      error: {
        code: 'invalid_request',
        message: expect.stringMatching(/fal \(FLUX\.1 Kontext \[dev\]\) cannot expand the prompt; leave promptUpsampling out/)
      }
    })
    expect(harness.fake.requests).toEqual([])

    // The panel offers only what GET /v1/models says: no prompt expansion on fal's [dev].
    const models = ModelsResponse.parse(await (await harness.session.authedAsync(ROUTES.models)).json())
    const fal = models.providers.find((provider) => provider.id === 'fal')!
    expect(fal.models.map((model) => [model.id, model.promptUpsampling])).toEqual([
      ['kontext-max', true],
      ['kontext-pro', true],
      ['kontext-dev', false],
      // fal's FLUX.2 edit schemas have no enhance_prompt (fal-js `Flux2FlexEditInput`, `Flux2MaxEditInput`).
      ['flux2-flex', false],
      ['flux2-pro', false],
      ['flux2-max', false],
      // Nor do [klein]'s (fal-js `Flux2Klein4bEditInput`).
      ['flux2-klein-4b', false],
      ['flux2-klein-9b', false]
    ])
  })

  it('follows fal from IN_QUEUE through IN_PROGRESS to COMPLETED', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'progress', queuedPolls: 1, runningPolls: 1 })
    const job = await harness.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    const statuses = harness.events('provider.status').map((line) => line.status)
    expect(statuses).toEqual(['IN_QUEUE', 'IN_PROGRESS'])
    expect(requestsTo(harness.fake, 'GET', /\/status$/)).toHaveLength(3)
  })

  it('polls through gateway blips on status_url', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'flaky-status', times: 2 })
    const job = await harness.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(requestsTo(harness.fake, 'GET', /\/status$/)).toHaveLength(3)
    expect(harness.fake.submissions()).toBe(1)
  })
})

/** The offer's free output box (catalogue), which a FLUX.2 size must keep to, at the reference's aspect. */
function expectFlux2Size(
  model: 'flux2-flex' | 'flux2-pro' | 'flux2-max' | 'flux2-klein-4b' | 'flux2-klein-9b',
  size: { width: number; height: number },
  reference: { width: number; height: number }
): void {
  const output = PROVIDERS.fal.offers[model].output
  if (output.kind !== 'free') throw new Error(`${model} on fal should have free sizes`)
  const { step, minSide, maxSide, maxPixels } = output
  expect(size.width % step).toBe(0)
  expect(size.height % step).toBe(0)
  expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(minSide)
  expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(maxSide)
  expect(size.width * size.height).toBeLessThanOrEqual(maxPixels)
  // The frame's aspect, within one grid step.
  expect(Math.abs(size.height - (size.width * reference.height) / reference.width)).toBeLessThanOrEqual(step)
  // As large as worth making: the reference's pixels within the budget, and one step up on both sides no longer fits.
  const budget = Math.min(maxPixels, reference.width * reference.height)
  expect(size.width * size.height).toBeLessThanOrEqual(budget)
  const larger = { width: size.width + step, height: size.height + step }
  expect(Math.max(larger.width, larger.height) > maxSide || larger.width * larger.height > budget).toBe(true)
}

/** A 1440×900 frame exported at 2×: 5.2 MP, more than FLUX.2 makes, so the size is the 4 MP budget's. */
const FRAME = { width: 2880, height: 1800 }
const FRAME_PNG = makePng(FRAME.width, FRAME.height, 21)
/** The same frame at 1×: 1.3 MP, under the budget, so the size is the reference's own on the grid. */
const FRAME_1X = { width: 1440, height: 900 }
const FRAME_1X_PNG = makePng(FRAME_1X.width, FRAME_1X.height, 22)

describe('FLUX.2 edits (fal-js `Flux2FlexEditInput`, `Flux2MaxEditInput` = `Flux2ProEditInput`)', () => {
  it('[flex] at the frame’s aspect: image_urls, image_size on the grid within 4 MP, steps and guidance always sent, safety "1"–"5"', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const offer = PROVIDERS.fal.offers['flux2-flex']
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-flex', safetyTolerance: 5, seed: 42 }, [FRAME_PNG])

    expect(job.status).toBe('succeeded')
    expect(fake.submissions()).toBe(1)
    const [queued] = fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-2-flex/edit')
    const input = queued!.input as { image_size: { width: number; height: number } }
    expectFlux2Size('flux2-flex', input.image_size, FRAME)
    // No value of the client's: the catalogue's defaults go out, never fal's own (28 steps, guidance 3.5).
    expect(offer.steps).not.toBeNull()
    expect(offer.guidance).not.toBeNull()
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: [dataUri(FRAME_PNG)],
      image_size: input.image_size,
      num_inference_steps: offer.steps.default,
      guidance_scale: offer.guidance.default,
      output_format: 'png',
      safety_tolerance: '5',
      seed: 42
    })

    // The result is the size asked for, in the relay's answer and in its bytes.
    expect(job.images).toHaveLength(1)
    expect(job.images[0]).toMatchObject({ ...input.image_size, contentType: 'image/png', seed: 42 })
    const image = await harness.imageAsync(job, 0)
    expect(imageSize(image.bytes)).toMatchObject({ type: 'png', ...input.image_size })
    expect(requestsTo(fake, 'GET', /\/status$/)[0]!.path).toBe(`/fal-ai/flux-2-flex/requests/${queued!.requestId}/status`)
  })

  it('[flex] sends the client’s steps and guidance, and the strictest safety as "1"', async () => {
    const harness = await startAsync()
    const job = await harness.editAsync(
      { prompt: PROMPT, model: 'flux2-flex', steps: 30, guidance: 7, safetyTolerance: 1, outputFormat: 'jpeg' },
      [FRAME_1X_PNG]
    )

    expect(job.status).toBe('succeeded')
    expect(harness.fake.queued[0]!.input).toMatchObject({
      num_inference_steps: 30,
      guidance_scale: 7,
      safety_tolerance: '1',
      output_format: 'jpeg'
    })
    expect(job.images[0]).toMatchObject({ contentType: 'image/jpeg' })
  })

  it('[pro] without steps or guidance: two variants are two requests with seed, seed+1 and no num_images', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-pro', numImages: 2, seed: 10 }, [FRAME_1X_PNG])

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    expect(fake.submissions()).toBe(2)
    expect(fake.queued.map((queued) => queued.endpoint)).toEqual(['fal-ai/flux-2-pro/edit', 'fal-ai/flux-2-pro/edit'])
    const inputs = fake.queued.map((queued) => queued.input as { seed: number; image_size: { width: number; height: number } })
    expectFlux2Size('flux2-pro', inputs[0]!.image_size, FRAME_1X)
    expect(inputs.map((input) => input.seed).sort()).toEqual([10, 11])
    for (const input of inputs)
      expect(input).toStrictEqual({
        prompt: PROMPT,
        image_urls: [dataUri(FRAME_1X_PNG)],
        image_size: inputs[0]!.image_size,
        output_format: 'png',
        safety_tolerance: String(PROVIDERS.fal.offers['flux2-pro'].safetyTolerance.default),
        seed: input.seed
      })
    for (const image of job.images) expect(image).toMatchObject(inputs[0]!.image_size)
  })

  it('[max] takes every reference in image_urls on its one endpoint; one above 1 MB goes through storage', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const small = makePng(40, 40, 2)
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-max' }, [LARGE_REFERENCE, small])

    expect(job.status).toBe('succeeded')
    expect(fake.uploads).toHaveLength(1)
    expect(fake.queued.map((queued) => queued.endpoint)).toEqual(['fal-ai/flux-2-max/edit'])
    expect(fake.queued[0]!.input).toMatchObject({ image_urls: [fake.uploads[0]!.fileUrl, dataUri(small)] })
    expect(fake.queued[0]!.input).not.toHaveProperty('image_url')
    expectFlux2Size('flux2-max', (fake.queued[0]!.input as { image_size: { width: number; height: number } }).image_size, {
      width: 640,
      height: 640
    })
  })

  it.each([
    ['safetyTolerance 6, Kontext’s most permissive', { safetyTolerance: 6 }, /safetyTolerance must be from 1 to 5/],
    ['safetyTolerance 0', { safetyTolerance: 0 }, /safetyTolerance must be from 1 to 5/],
    ['promptUpsampling', { promptUpsampling: true }, /cannot expand the prompt/],
    ['steps on [pro]', { model: 'flux2-pro', steps: 30 }, /has no steps setting/]
  ] as const)('refuses %s before calling fal', async (_name, fields, message) => {
    const harness = await startAsync()
    const answer = await harness.postAsync({ prompt: PROMPT, model: 'flux2-flex', ...fields }, [FRAME_1X_PNG])

    expect(answer.status).toBe(400)
    expect(await answer.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(message) } })
    expect(harness.fake.requests).toEqual([])
  })
})

describe('FLUX.2 [klein] edits (fal-js `Flux2Klein4bEditInput` = `Flux2Klein9bEditInput`, answered as `v4Output`)', () => {
  it('4B at a 2880×1800 frame: fal’s own klein fields, steps and the checker always sent, the result at image_size, the catalogue’s cost', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const offer = PROVIDERS.fal.offers['flux2-klein-4b']
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', seed: 42 }, [FRAME_PNG])

    expect(job.status).toBe('succeeded')
    expect(fake.submissions()).toBe(1)
    const [queued] = fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-2/klein/4b/edit')
    const input = queued!.input as { image_size: { width: number; height: number } }
    expectFlux2Size('flux2-klein-4b', input.image_size, FRAME)
    // 2048 on the long side (the box's), the frame's 16:10 below it.
    expect(input.image_size).toStrictEqual({ width: 2048, height: 1280 })
    // Field by field: no safety_tolerance, guidance_scale or enhance_prompt, which klein's schema lacks.
    expect(offer.steps).toMatchObject({ min: 4, max: 8, default: 4 })
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: [dataUri(FRAME_PNG)],
      image_size: { width: 2048, height: 1280 },
      num_inference_steps: 4,
      num_images: 1,
      output_format: 'png',
      enable_safety_checker: true,
      seed: 42
    })

    expect(job.images).toHaveLength(1)
    expect(job.images[0]).toMatchObject({ width: 2048, height: 1280, contentType: 'image/png', seed: 42 })
    const image = await harness.imageAsync(job, 0)
    expect(imageSize(image.bytes)).toMatchObject({ type: 'png', width: 2048, height: 1280 })
    // fal reports no cost: the catalogue's, by the megapixel begun: 1¢ + 2 × 1¢ for 2.6 MP out, 6 × 1¢ for 5.2 MP in.
    expect(job).toMatchObject({ cost: 0.09, costEstimated: true })
    expect(estimateCostUsd(offer.price, { images: 1, outputPixels: 2048 * 1280, inputPixels: FRAME.width * FRAME.height })).toBe(0.09)
    // The queue URLs sit on {owner}/{app}: `fal-ai/flux-2`, not the klein path.
    expect(requestsTo(fake, 'GET', /\/status$/)[0]!.path).toBe(`/fal-ai/flux-2/requests/${queued!.requestId}/status`)
  })

  it('9B at a 1440×900 frame: three variants in one request (num_images), the client’s steps, webp; seeds and cost per image', async () => {
    const harness = await startAsync()
    const { fake } = harness
    const job = await harness.editAsync(
      { prompt: PROMPT, model: 'flux2-klein-9b', numImages: 3, seed: 7, steps: 8, outputFormat: 'webp' },
      [FRAME_1X_PNG]
    )

    expect(job.status).toBe('succeeded')
    expect(fake.submissions()).toBe(1)
    const [queued] = fake.queued
    expect(queued!.endpoint).toBe('fal-ai/flux-2/klein/9b/edit')
    expect(queued!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: [dataUri(FRAME_1X_PNG)],
      image_size: { width: 1440, height: 896 },
      num_inference_steps: 8,
      num_images: 3,
      output_format: 'webp',
      enable_safety_checker: true,
      seed: 7
    })
    expectFlux2Size('flux2-klein-9b', { width: 1440, height: 896 }, FRAME_1X)

    expect(job.images).toHaveLength(3)
    // fal reports one seed for the batch: it reproduces the first image.
    expect(job.images.map((image) => image.seed)).toEqual([7, undefined, undefined])
    for (const image of job.images) expect(image).toMatchObject({ width: 1440, height: 896, contentType: 'image/webp' })
    const bytes = await Promise.all(job.images.map(async (_image, index) => (await harness.imageAsync(job, index)).bytes))
    for (const image of bytes) expect(imageSize(image)).toMatchObject({ type: 'webp', width: 1440, height: 896 })
    expect(new Set(bytes.map((image) => Buffer.from(image).toString('base64'))).size).toBe(3)
    // 1.1¢ for the first (of two begun) output megapixels, 1.1¢ more, 2 × 1.1¢ for the 1.3 MP in: 4.4¢ an image.
    expect(job).toMatchObject({ cost: 0.132, costEstimated: true })
  })

  it('four variants of 4B, the most an edit asks for, are still one request', async () => {
    const harness = await startAsync()
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', numImages: 4, outputFormat: 'jpeg' }, [FRAME_1X_PNG])

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(4)
    expect(harness.fake.submissions()).toBe(1)
    expect(harness.fake.queued[0]!.input).toMatchObject({ num_images: 4, output_format: 'jpeg' })
    for (const image of job.images) expect(image).toMatchObject({ contentType: 'image/jpeg' })
  })

  it('drops the images fal flagged in has_nsfw_concepts, which klein’s answer has', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'nsfw', indexes: [0] })
    const job = await harness.editAsync({ prompt: PROMPT, model: 'flux2-klein-9b', numImages: 2 }, [FRAME_1X_PNG])

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(requestsTo(harness.fake, 'GET', /^\/cdn\//).map((request) => request.path.split('/').pop())).toEqual(['1.png'])
  })

  it.each([
    ['safetyTolerance (FLUX.2 [pro]’s)', { safetyTolerance: 2 }, /has no safetyTolerance setting/],
    ['guidance', { guidance: 3.5 }, /has no guidance setting/],
    ['promptUpsampling', { promptUpsampling: true }, /cannot expand the prompt/],
    ['9 steps', { steps: 9 }, /steps must be from 4 to 8/],
    ['3 steps', { steps: 3 }, /steps must be from 4 to 8/],
    ['five references', { images: 5 }, /takes at most 4 reference images/]
  ] as const)('refuses %s before calling fal', async (_name, fields, message) => {
    const harness = await startAsync()
    const { images = 1, ...request } = fields as { images?: number }
    const references = Array.from({ length: images }, (_, index) => makePng(64, 40, index + 1))
    const answer = await harness.postAsync({ prompt: PROMPT, model: 'flux2-klein-4b', ...request }, references)

    expect(answer.status).toBe(400)
    expect(await answer.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(message) } })
    expect(harness.fake.requests).toEqual([])
  })
})

describe('references above 1 MB go through fal storage, as fal’s client uploads files', () => {
  it('initiates with the key, PUTs the bytes to the presigned URL without it, and sends fal the file URL', async () => {
    expect(LARGE_REFERENCE.byteLength).toBeGreaterThan(1_000_000)
    const harness = await startAsync()
    const { fake } = harness
    const job = await harness.editAsync({ prompt: PROMPT }, [LARGE_REFERENCE])

    expect(job.status).toBe('succeeded')
    expect(fake.uploads).toHaveLength(1)
    const [upload] = fake.uploads
    expect(upload).toMatchObject({ contentType: 'image/png', fileName: 'reference-1.png' })
    expect(Buffer.from(upload!.bytes).equals(Buffer.from(LARGE_REFERENCE))).toBe(true)

    const [initiate] = requestsTo(fake, 'POST', /^\/storage\/upload\/initiate$/)
    expect(initiate).toMatchObject({
      query: 'storage_type=fal-cdn-v3',
      headers: expect.objectContaining({ authorization: `Key ${KEY}`, 'content-type': 'application/json' }),
      body: { content_type: 'image/png', file_name: 'reference-1.png' }
    })
    const puts = requestsTo(fake, 'PUT', /^\/storage\/presigned\//)
    expect(puts).toHaveLength(1)
    expect(puts[0]!.headers.authorization).toBeUndefined()
    expect(puts[0]!.headers['content-type']).toBe('image/png')

    // The model gets the file URL, never the bytes inline; the upload came before the submit.
    expect(fake.queued[0]!.input).toMatchObject({ image_url: upload!.fileUrl })
    expect(JSON.stringify(fake.queued[0]!.input)).not.toContain('data:')
    const order = fake.requests.map((request) => request.path)
    expect(order.indexOf(puts[0]!.path)).toBeLessThan(order.indexOf('/fal-ai/flux-pro/kontext/max'))
  })

  it('uploads each large reference once for every call, and keeps small ones inline in image_urls', async () => {
    const harness = await startAsync()
    const job = await harness.editAsync({ prompt: PROMPT, numImages: 2 }, [LARGE_REFERENCE, REFERENCE])

    expect(job.status).toBe('succeeded')
    expect(harness.fake.uploads).toHaveLength(1)
    expect(harness.fake.queued[0]!.input).toMatchObject({ image_urls: [harness.fake.uploads[0]!.fileUrl, dataUri(REFERENCE)] })
  })

  it('tries a refused upload again (429 on initiate, 503 on the PUT) and submits once', async () => {
    const harness = await startAsync()
    harness.fake.failNextUpload({ step: 'initiate', kind: 'status', status: 429, retryAfterSeconds: 0 })
    harness.fake.failNextUpload({ step: 'put', kind: 'status', status: 503, retryAfterSeconds: 0 })
    const job = await harness.editAsync({ prompt: PROMPT }, [LARGE_REFERENCE])

    expect(job.status).toBe('succeeded')
    expect(requestsTo(harness.fake, 'POST', /^\/storage\/upload\/initiate$/)).toHaveLength(3)
    expect(harness.fake.uploads).toHaveLength(1)
    expect(harness.fake.submissions()).toBe(1)
    expect(harness.fake.queued[0]!.input).toMatchObject({ image_url: harness.fake.uploads[0]!.fileUrl })
  })

  it.each([
    [
      'three 503 refusals of the initiate',
      { step: 'initiate', kind: 'status', status: 503, retryAfterSeconds: 0 },
      3,
      'provider_unavailable',
      3
    ],
    ['a 401 on the initiate (the key)', { step: 'initiate', kind: 'status', status: 401 }, 1, 'provider_not_configured', 1],
    ['a 500 on the initiate', { step: 'initiate', kind: 'status', status: 500 }, 1, 'provider_unavailable', 1],
    ['a 403 on the presigned PUT (not the key)', { step: 'put', kind: 'status', status: 403 }, 1, 'provider_error', 1]
  ] as const)('fails on %s with %s, submitting nothing', async (_name, fault, times, code, initiates) => {
    const harness = await startAsync()
    harness.fake.failNextUpload(fault, times)
    expectFailure(await harness.editAsync({ prompt: PROMPT }, [LARGE_REFERENCE]), code)
    expect(requestsTo(harness.fake, 'POST', /^\/storage\/upload\/initiate$/)).toHaveLength(initiates)
    expect(harness.fake.submitAttempts()).toBe(0)
  })
})

describe('fal failures that still end COMPLETED', () => {
  it('maps content_policy_violation on the result to moderated, after a COMPLETED status', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'moderation' })
    const job = await harness.editAsync({ prompt: PROMPT })

    expectFailure(job, 'moderated')
    expect(harness.fake.submissions()).toBe(1)
    expect(requestsTo(harness.fake, 'GET', /\/requests\/[^/]+$/)).toHaveLength(1)
  })

  it('maps another detail[].type (image_too_large) to provider_error', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'model-error', type: 'image_too_large' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
    expect(harness.fake.submissions()).toBe(1)
  })

  it('maps an infrastructure error on the result (503 runner_disconnected) to provider_unavailable, never resubmitting', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'infra-error', status: 503, errorType: 'runner_disconnected' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_unavailable')
    expect(harness.fake.submissions()).toBe(1)
    expect(harness.fake.submitAttempts()).toBe(1)
  })

  it('drops the images flagged in has_nsfw_concepts', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'nsfw', indexes: [1] })
    const job = await harness.editAsync({ prompt: PROMPT, numImages: 3, seed: 5 })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    expect(requestsTo(harness.fake, 'GET', /^\/cdn\//).map((request) => request.path.split('/').pop())).toEqual(
      expect.arrayContaining(['0.png', '2.png'])
    )
    expect(requestsTo(harness.fake, 'GET', /^\/cdn\/.*\/1\.png$/)).toHaveLength(0)
  })

  it('maps every image flagged to moderated', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'nsfw' })
    expectFailure(await harness.editAsync({ prompt: PROMPT, numImages: 2 }), 'moderated')
  })
})

describe('refused submissions', () => {
  it('maps 402 to insufficient_credit without a second try', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'status', status: 402 })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'insufficient_credit')
    expect(harness.fake.submitAttempts()).toBe(1)
    expect(harness.fake.submissions()).toBe(0)
  })

  it('maps fal’s 403 "Exhausted balance" lock to insufficient_credit', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'balance' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'insufficient_credit')
    expect(harness.fake.submitAttempts()).toBe(1)
  })

  it('maps a refused key (401) to provider_not_configured', async () => {
    const harness = await startAsync({ FAL_KEY: `wrong-${randomUUID()}:secret` })
    const job = await harness.editAsync({ prompt: PROMPT })
    expectFailure(job, 'provider_not_configured')
    expect(job.error!.message).toMatch(/fal refused/)
    expect(harness.fake.submissions()).toBe(0)
  })

  it('retries a 429 after Retry-After and succeeds with one submission', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    const job = await harness.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(harness.fake.submitAttempts()).toBe(2)
    expect(harness.fake.submissions()).toBe(1)
  })

  it('gives up after three 503 refusals with provider_unavailable', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 3)
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_unavailable')
    expect(harness.fake.submitAttempts()).toBe(3)
    expect(harness.fake.submissions()).toBe(0)
  })

  it('never resubmits after an ambiguous 500', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'status', status: 500 })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_unavailable')
    expect(harness.fake.submitAttempts()).toBe(1)
  })

  it('never resubmits after a connection reset, whether or not fal had queued the request', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'reset' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_unavailable')
    harness.fake.failNext({ kind: 'reset-after-accept' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_unavailable')
    expect(harness.fake.submitAttempts()).toBe(2)
    expect(harness.fake.submissions()).toBe(1)
  })
})

describe('malformed answers and results', () => {
  it('a garbled 200 to the submit is provider_error, never retried', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'malformed' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
    expect(harness.fake.submitAttempts()).toBe(1)
  })

  it('a status that is never readable is provider_error, and the request is canceled at fal', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'malformed-status' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
    await vi.waitFor(() => expect(harness.fake.cancels).toEqual([harness.fake.queued[0]!.requestId]))
  })

  it('a garbled result is provider_error', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'malformed-result' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
    expect(harness.fake.submissions()).toBe(1)
  })

  it('an expired result URL is provider_error', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'expired' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
  })

  it('a truncated result image is provider_error', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'truncated-image' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'provider_error')
  })
})

describe('deadlines and cancel', () => {
  it('times out a request fal never finishes, and cancels it at fal', async () => {
    const harness = await startAsync({ PROVIDER_TIMEOUT_SECONDS: '2' })
    harness.fake.failNext({ kind: 'stuck' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'timeout')
    await vi.waitFor(() => expect(harness.fake.cancels).toEqual([harness.fake.queued[0]!.requestId]))
  })

  it('times out a submit that never answers, once, with nothing to cancel', async () => {
    const harness = await startAsync({ PROVIDER_TIMEOUT_SECONDS: '2' })
    harness.fake.failNext({ kind: 'hang' })
    expectFailure(await harness.editAsync({ prompt: PROMPT }), 'timeout')
    expect(harness.fake.submitAttempts()).toBe(1)
    expect(harness.fake.submissions()).toBe(0)
    expect(harness.fake.cancels).toEqual([])
  })

  it('DELETE /v1/edits/{id} sends PUT cancel_url to fal', async () => {
    const harness = await startAsync()
    harness.fake.failNext({ kind: 'stuck' })
    const id = await harness.createAsync({ prompt: PROMPT })
    await vi.waitFor(() => expect(requestsTo(harness.fake, 'GET', /\/status$/).length).toBeGreaterThan(0))

    expect((await harness.cancelAsync(id)).status).toBe('canceled')
    const requestId = harness.fake.queued[0]!.requestId
    await vi.waitFor(() => expect(harness.fake.cancels).toEqual([requestId]))
    expect(requestsTo(harness.fake, 'PUT', /./)).toEqual([
      expect.objectContaining({
        path: `/fal-ai/flux-pro/requests/${requestId}/cancel`,
        headers: expect.objectContaining({ authorization: `Key ${KEY}` })
      })
    ])
    expect(harness.fake.submissions()).toBe(1)
  })
})

describe('the adapter on its own', () => {
  function adapter(fake: FakeFal, settings: Record<string, string> = { FAL_STORAGE_URL: fake.url }, sleeps: number[] = []) {
    const deps: ProviderDeps = {
      fetch,
      sleepAsync: (ms, signal) => {
        sleeps.push(ms)
        return new Promise((resolve, reject) => (signal.aborted ? reject(signal.reason) : setImmediate(resolve)))
      },
      randomUUID,
      now: Date.now,
      log: (event, fields) => contractTranscript.logs.push(JSON.stringify({ event, ...fields }))
    }
    return createFalProvider({ enabled: true, key: KEY, url: fake.url, settings, offerOverrides: {} }, deps)
  }

  function input(signal: AbortSignal, request: EditRequestInput, variantsPerCall: number, reference = REFERENCE): ProviderEditInput {
    return {
      request: EditRequest.parse(request),
      model: 'kontext-max',
      offer: { ...PROVIDERS.fal.offers['kontext-max'], variantsPerCall },
      size: KONTEXT_SIZES[1],
      aspectRatio: '16:9',
      references: [{ bytes: reference, contentType: 'image/png', width: 64, height: 36 }],
      signal,
      onProgress: () => undefined
    }
  }

  it('splits variants over parallel calls when the offer takes fewer per call, with seeds seed, seed+1, …', async () => {
    const fake = await startFakeAsync()
    const result = await adapter(fake).editAsync(input(AbortSignal.timeout(5000), { prompt: PROMPT, numImages: 3, seed: 10 }, 1))

    expect(result.images).toHaveLength(3)
    expect(fake.queued.map((queued) => (queued.input as { seed: number; num_images: number }).seed).sort()).toEqual([10, 11, 12])
    expect(fake.queued.every((queued) => (queued.input as { num_images: number }).num_images === 1)).toBe(true)
    expect(result.hostJobId.split(',')).toHaveLength(3)
  })

  it('tries an upload whose connection never opened three times, backing off 1 s then 2 s, and submits nothing', async () => {
    const fake = await startFakeAsync()
    const sleeps: number[] = []
    // A loopback port just freed: nothing listens, so the connection is refused before any byte.
    const closed = createServer()
    const origin = await listenOnLoopbackAsync(closed)
    await new Promise((resolve) => closed.close(resolve))
    const provider = adapter(fake, { FAL_STORAGE_URL: origin }, sleeps)

    await expect(provider.editAsync(input(AbortSignal.timeout(5000), { prompt: PROMPT }, 4, LARGE_REFERENCE))).rejects.toMatchObject({
      code: 'provider_unavailable'
    })
    expect(sleeps).toEqual([1000, 2000])
    expect(fake.submitAttempts()).toBe(0)
  })

  // The variant engine's policy (relay/providers/shared/run-variants-async.ts): fal used to cancel the siblings.
  it('when one call fails, its sibling is not canceled and the images it made are kept', async () => {
    const fake = await startFakeAsync()
    // The sibling is still polling when the moderated call fails: the old policy canceled it here.
    fake.failNext({ kind: 'progress', queuedPolls: 3, runningPolls: 3 })
    fake.failNext({ kind: 'moderation' })
    const result = await adapter(fake).editAsync(input(AbortSignal.timeout(5000), { prompt: PROMPT, numImages: 2 }, 1))

    expect(result.images).toHaveLength(1)
    expect(fake.submissions()).toBe(2)
    expect(fake.queued.map((queued) => queued.requestId)).toContain(result.hostJobId)
    expect(fake.cancels).toEqual([])
  })

  it('when every call fails, fails with the first call’s error and cancels nothing', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'moderation' }, 2)

    await expect(adapter(fake).editAsync(input(AbortSignal.timeout(5000), { prompt: PROMPT, numImages: 2 }, 1))).rejects.toMatchObject({
      code: 'moderated'
    })
    expect(fake.submissions()).toBe(2)
    expect(fake.cancels).toEqual([])
  })
})

describe('the FLUX.2 wire format comes from the offer’s schema', () => {
  function flux2Input(schema: 'kontext' | 'flux2'): ProviderEditInput {
    return {
      request: EditRequest.parse({ prompt: PROMPT, model: 'flux2-pro' }),
      model: 'flux2-pro',
      offer: { ...PROVIDERS.fal.offers['flux2-pro'], schema },
      size: { width: 1024, height: 576 },
      aspectRatio: '16:9',
      references: [{ bytes: REFERENCE, contentType: 'image/png', width: 64, height: 36 }],
      signal: AbortSignal.timeout(5000),
      onProgress: () => undefined
    }
  }

  function provider(fake: FakeFal) {
    const deps: ProviderDeps = { fetch, sleepAsync: () => Promise.resolve(), randomUUID, now: Date.now, log: () => undefined }
    return createFalProvider({ enabled: true, key: KEY, url: fake.url, settings: { FAL_STORAGE_URL: fake.url }, offerOverrides: {} }, deps)
  }

  it('an offer saying kontext sends Kontext’s fields to the FLUX.2 endpoint, and fal refuses them (extra_forbidden)', async () => {
    const fake = await startFakeAsync()
    await expect(provider(fake).editAsync(flux2Input('kontext'))).rejects.toMatchObject({
      code: 'provider_error',
      detail: expect.stringMatching(/extra_forbidden|Extra inputs/)
    })
    expect(fake.queued[0]!.endpoint).toBe('fal-ai/flux-2-pro/edit')
    expect(fake.queued[0]!.input).toMatchObject({ image_url: dataUri(REFERENCE), aspect_ratio: '16:9', num_images: 1 })
  })

  /** The catalogue's [klein] 4B offer, saying `schema`, at a 16:9 size. */
  function kleinInput(schema: 'flux2' | 'flux2-klein'): ProviderEditInput {
    return {
      ...flux2Input('flux2'),
      request: EditRequest.parse({ prompt: PROMPT, model: 'flux2-klein-4b' }),
      model: 'flux2-klein-4b',
      offer: { ...PROVIDERS.fal.offers['flux2-klein-4b'], schema }
    }
  }

  it('a [klein] offer saying flux2 sends [pro]’s safety_tolerance to the klein endpoint, and fal refuses it (extra_forbidden)', async () => {
    const fake = await startFakeAsync()
    const offer = kleinInput('flux2').offer
    await expect(
      provider(fake).editAsync({ ...kleinInput('flux2'), offer: { ...offer, safetyTolerance: SAFETY_1_5 } })
    ).rejects.toMatchObject({
      code: 'provider_error',
      detail: expect.stringMatching(/extra_forbidden|Extra inputs/)
    })
    expect(fake.queued[0]!.endpoint).toBe('fal-ai/flux-2/klein/4b/edit')
    expect(fake.queued[0]!.input).toMatchObject({ safety_tolerance: '2' })
    expect(fake.queued[0]!.input).not.toHaveProperty('num_images')
  })

  it('the same [klein] offer saying flux2-klein sends klein’s fields, and succeeds at the planned size', async () => {
    const fake = await startFakeAsync()
    const result = await provider(fake).editAsync(kleinInput('flux2-klein'))

    expect(result.images).toHaveLength(1)
    expect(imageSize(result.images[0]!.bytes)).toMatchObject({ type: 'png', width: 1024, height: 576 })
    expect(fake.queued[0]!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: [dataUri(REFERENCE)],
      image_size: { width: 1024, height: 576 },
      num_inference_steps: 4,
      num_images: 1,
      output_format: 'png',
      enable_safety_checker: true
    })
  })

  it('a [klein] offer overridden to take guidance refuses it rather than send a field klein lacks', async () => {
    const fake = await startFakeAsync()
    const input = kleinInput('flux2-klein')
    await expect(
      provider(fake).editAsync({
        ...input,
        request: EditRequest.parse({ prompt: PROMPT, model: 'flux2-klein-4b', guidance: 3 }),
        offer: { ...input.offer, guidance: { min: 1, max: 10, default: 3 } }
      })
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/has no guidance setting/) })
    expect(fake.requests).toEqual([])
  })

  it('the same offer saying flux2 sends image_urls and the planned image_size, and succeeds at that size', async () => {
    const fake = await startFakeAsync()
    const result = await provider(fake).editAsync(flux2Input('flux2'))

    expect(result.images).toHaveLength(1)
    expect(imageSize(result.images[0]!.bytes)).toMatchObject({ width: 1024, height: 576 })
    expect(fake.queued[0]!.input).toStrictEqual({
      prompt: PROMPT,
      image_urls: [dataUri(REFERENCE)],
      image_size: { width: 1024, height: 576 },
      output_format: 'png',
      safety_tolerance: '2'
    })
  })
})

describe('secrets', () => {
  it('fal’s key (and its secret half) never appears in any relay answer or log line', () => {
    const transcript = [...contractTranscript.responses, ...contractTranscript.logs]
    expect(transcript.length).toBeGreaterThan(50)
    expectKeyKeptOut(KEY)
    const secret = KEY.split(':')[1]!
    expect(transcript.filter((entry) => entry.includes(secret))).toEqual([])
  })
})
