/**
 * The real relay over HTTP (startHostContractAsync) in front of the strict fake Replicate
 * (docs/hosts.md, "Replicate"): the exact wire body per model, variants, several references,
 * polling, the host's failures, the deadline and cancellation. Every relay answer and log line is
 * kept, and the last test checks that no Replicate token (nor a prompt or image data) ever appears
 * in them.
 */
import { randomBytes } from 'node:crypto'
import { imageSize } from 'image-size'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { HostConfig } from '../../relay/config'
import type { ProviderDeps, ProviderEditInput } from '../../relay/providers/provider'
import { createReplicateProvider } from '../../relay/providers/replicate/replicate-provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { ERROR_MESSAGES } from '../../shared/errors'
import { PROVIDERS } from '../../shared/models'
import { EditJob, EditRequest, type EditRequestInput } from '../../shared/relay-api'
import { makeJpeg, makePng } from '../fakes/make-image'
import { makeNoisyPng } from '../fakes/make-noisy-png'
import { startFakeReplicateAsync, type FakeReplicate, type ReplicateFault } from '../fakes/replicate-server'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { REFERENCE_PNG } from '../support/relay-session'

/** Unique per run, so finding it anywhere cannot be a coincidence; every fake of this file takes it. */
const KEY = `r8_${randomBytes(18).toString('hex')}`
/** The token the relay is given when the host must refuse it: kept out as well. */
const WRONG_KEY = 'r8_not-the-right-token-0000'
const REFERENCE_JPEG = makeJpeg(48, 48, 3)
/** Over the 1 MB Replicate advises data URIs under, like the plugin's ~1.1 MB frames. */
const LARGE_PNG = makeNoisyPng(640, 640, 13)
const PROMPT = 'Make the sky a deep violet, keep the hills'
const EDIT: EditRequestInput = { prompt: PROMPT }
const MAX = 'black-forest-labs/flux-kontext-max'

const dataUri = (bytes: Uint8Array, type: string): string => `data:${type};base64,${Buffer.from(bytes).toString('base64')}`

/** The host contract plus the fake behind it, which the assertions read. */
interface Setup extends HostContract {
  fake: FakeReplicate
}

interface SetupOptions {
  latencyMs?: number
  /** Relay variables over the defaults (e.g. REPLICATE_WAIT_SECONDS, the `Prefer: wait` hold). */
  env?: Record<string, string>
  faults?: ReplicateFault[]
}

async function setupAsync(options: SetupOptions = {}): Promise<Setup> {
  const fake = await startFakeReplicateAsync({ token: KEY, latencyMs: options.latencyMs ?? 20 })
  for (const fault of options.faults ?? []) fake.failNext(fault)
  const env = { REPLICATE_API_TOKEN: KEY, REPLICATE_API_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...options.env }
  const contract = await startHostContractAsync('replicate', env, { closeFakeAsync: () => fake.close() })
  return { ...contract, fake }
}

/** The job as it stands now (no hold). */
async function jobNowAsync(setup: Setup, id: string): Promise<EditJob> {
  const response = await setup.session.authedAsync(`/v1/edits/${id}?wait=0`)
  return EditJob.parse(await response.json())
}

function createCalls(fake: FakeReplicate) {
  return fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/predictions'))
}

function expectFailed(job: EditJob, code: string): void {
  expect(job.status).toBe('failed')
  expect(job.error).toEqual({ code, message: expect.any(String) })
}

describe('the wire request and a successful edit', () => {
  it('sends the documented body to the offer’s model with Bearer auth and Prefer: wait, then serves the downloaded image', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({
      prompt: PROMPT,
      aspectRatio: '16:9',
      seed: 42,
      outputFormat: 'jpeg',
      safetyTolerance: 1,
      promptUpsampling: true
    })

    expect(job.status).toBe('succeeded')
    const [created] = setup.fake.predictions
    expect(setup.fake.predictions).toHaveLength(1)
    expect(created!.model).toBe(MAX)
    expect(created!.headers).toMatchObject({
      authorization: `Bearer ${setup.fake.token}`,
      'content-type': 'application/json',
      prefer: 'wait=5'
    })
    expect(created!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_image: dataUri(REFERENCE_PNG, 'image/png'),
        aspect_ratio: '16:9',
        seed: 42,
        output_format: 'jpg',
        safety_tolerance: 1,
        prompt_upsampling: true
      }
    })
    // A reference under 1 MB stays inline: no file is uploaded.
    expect(setup.fake.requests.filter((request) => request.path.startsWith('/v1/files'))).toEqual([])
    expect(job.images).toEqual([{ url: `/v1/edits/${job.id}/images/0`, width: 1392, height: 752, seed: 42, contentType: 'image/jpeg' }])
    // Replicate reports no cost: the catalogue's price, marked as an estimate.
    expect(job).toMatchObject({ cost: 0.08, costEstimated: true })
    const served = await setup.imageAsync(job, 0)
    const original = await fetch(`${setup.fake.url}/delivery/${created!.id}/output.jpg`)
    expect(Buffer.from(served.bytes).equals(Buffer.from(await original.arrayBuffer()))).toBe(true)
  })

  it('fills what the host needs from the offer: safety_tolerance 2, prompt_upsampling false, the nearest ratio, no seed', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'kontext-pro' })

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions[0]!.model).toBe('black-forest-labs/flux-kontext-pro')
    expect(setup.fake.predictions[0]!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_image: dataUri(REFERENCE_PNG, 'image/png'),
        aspect_ratio: '16:9',
        output_format: 'png',
        safety_tolerance: 2,
        prompt_upsampling: false
      }
    })
    expect(job.images[0]).toMatchObject({ contentType: 'image/png', width: 1392, height: 752 })
    expect(job.images[0]!.seed).toBeUndefined()
  })

  it('makes four variants as four parallel predictions with seed, seed+1, … and four different images', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 4, seed: 100, aspectRatio: '1:1' })

    expect(job.status).toBe('succeeded')
    expect(setup.fake.submissions()).toBe(4)
    const seeds = setup.fake.predictions.map((created) => (created.body.input as { seed: number }).seed)
    expect(seeds.sort()).toEqual([100, 101, 102, 103])
    expect(job.images.map((image) => image.seed)).toEqual([100, 101, 102, 103])
    const bodies = await Promise.all(
      job.images.map(async (_image, index) => Buffer.from((await setup.imageAsync(job, index)).bytes).toString('base64'))
    )
    expect(new Set(bodies).size).toBe(4)
    expect(job.cost).toBeCloseTo(0.32, 6)
  })

  it('sends two references to the multi-image model as input_image_1 and input_image_2', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, aspectRatio: '3:4' }, [REFERENCE_PNG, REFERENCE_JPEG])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions.map((created) => created.model)).toEqual(['flux-kontext-apps/multi-image-kontext-max'])
    expect(setup.fake.predictions[0]!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_image_1: dataUri(REFERENCE_PNG, 'image/png'),
        input_image_2: dataUri(REFERENCE_JPEG, 'image/jpeg'),
        aspect_ratio: '3:4',
        output_format: 'png',
        safety_tolerance: 2
      }
    })
    expect(job.images[0]).toMatchObject({ width: 880, height: 1184 })
  })

  it('sends Kontext [dev] its steps, guidance and quality (from the offer where unset) and no safety_tolerance', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'kontext-dev', outputFormat: 'webp', steps: 20, aspectRatio: '9:16' })

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions[0]!.model).toBe('black-forest-labs/flux-kontext-dev')
    expect(setup.fake.predictions[0]!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_image: dataUri(REFERENCE_PNG, 'image/png'),
        aspect_ratio: '9:16',
        output_format: 'webp',
        num_inference_steps: 20,
        guidance: 2.5,
        output_quality: 80
      }
    })
    expect(job.images[0]).toMatchObject({ contentType: 'image/webp', width: 752, height: 1392 })
  })

  it('refuses promptUpsampling with several references (the multi-image model lacks it) before creating anything', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, promptUpsampling: true }, [REFERENCE_PNG, REFERENCE_JPEG])

    expectFailed(job, 'invalid_request')
    expect(createCalls(setup.fake)).toHaveLength(0)
  })
})

describe('FLUX.2 (offer.schema "flux2"): input_images, aspect_ratio "custom" with the relay’s width × height', () => {
  /** A 1440×900 frame exported at 2×: more than the 4 MP FLUX.2 makes. */
  const FRAME_2X = makePng(2880, 1800, 21)
  const FRAME_1X = makePng(1440, 900, 22)
  const FLEX = PROVIDERS.replicate.offers['flux2-flex']

  it('edits with [flex] at the frame’s shape on the catalogue’s grid, sending steps, guidance and upsampling explicitly', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-flex', seed: 5, safetyTolerance: 5 }, [FRAME_2X])

    expect(job.status).toBe('succeeded')
    const [created] = setup.fake.predictions
    expect(setup.fake.predictions).toHaveLength(1)
    expect(created!.model).toBe(FLEX.hostModelId)
    const input = created!.body.input as { width: number; height: number }
    expect(created!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_images: [dataUri(FRAME_2X, 'image/png')],
        aspect_ratio: 'custom',
        width: input.width,
        height: input.height,
        seed: 5,
        output_format: 'png',
        // The host's own 1–5 scale, with no Kontext cap of 2 for an input image.
        safety_tolerance: 5,
        // Replicate's [flex] defaults are 30 steps, guidance 4.5 and upsampling on: the relay's go out instead.
        prompt_upsampling: false,
        steps: FLEX.steps.default,
        guidance: FLEX.guidance.default,
        output_quality: FLEX.outputQuality.default
      }
    })

    // The size the catalogue allows: on the grid, within the sides and 4 MP, the frame's 16:10 within one grid step.
    const { width, height } = input
    const output = FLEX.output
    if (output.kind !== 'free') throw new Error('FLUX.2 [flex] on Replicate has free sizes')
    expect([width % output.step, height % output.step]).toEqual([0, 0])
    for (const side of [width, height]) {
      expect(side).toBeGreaterThanOrEqual(output.minSide)
      expect(side).toBeLessThanOrEqual(output.maxSide)
    }
    expect(width * height).toBeLessThanOrEqual(output.maxPixels)
    expect(Math.abs(height - (width * 1800) / 2880)).toBeLessThanOrEqual(output.step)
    // As large as allowed, since the reference has more pixels than FLUX.2 makes: a side or the budget is reached.
    expect(Math.max(width, height) > output.maxSide - output.step || width * height > output.maxPixels - output.step * output.maxSide).toBe(
      true
    )

    // The image is exactly what was asked for, as the relay reports and serves it.
    expect(job.images).toEqual([{ url: `/v1/edits/${job.id}/images/0`, width, height, seed: 5, contentType: 'image/png' }])
    expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ width, height })
  })

  it('sends [pro] no steps, guidance or prompt_upsampling (it has none), and the offer’s safety and quality', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-pro', outputFormat: 'webp' }, [FRAME_1X])

    expect(job.status).toBe('succeeded')
    const pro = PROVIDERS.replicate.offers['flux2-pro']
    const [created] = setup.fake.predictions
    expect(created!.model).toBe(pro.hostModelId)
    const { width, height } = created!.body.input as { width: number; height: number }
    expect(created!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        input_images: [dataUri(FRAME_1X, 'image/png')],
        aspect_ratio: 'custom',
        width,
        height,
        output_format: 'webp',
        safety_tolerance: pro.safetyTolerance.default,
        output_quality: pro.outputQuality.default
      }
    })
    expect(Math.abs(height - (width * 900) / 1440)).toBeLessThanOrEqual(32)
    expect(job.images[0]).toMatchObject({ width, height, contentType: 'image/webp' })
  })

  it('sends several references to the model itself, in one input_images list, prompt upsampling included', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-flex', promptUpsampling: true, steps: 12, guidance: 7 }, [
      FRAME_1X,
      REFERENCE_JPEG,
      REFERENCE_PNG
    ])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions.map((created) => created.model)).toEqual([FLEX.hostModelId])
    expect(setup.fake.predictions[0]!.body).toMatchObject({
      input: {
        input_images: [dataUri(FRAME_1X, 'image/png'), dataUri(REFERENCE_JPEG, 'image/jpeg'), dataUri(REFERENCE_PNG, 'image/png')],
        aspect_ratio: 'custom',
        prompt_upsampling: true,
        steps: 12,
        guidance: 7
      }
    })
  })

  it('refuses a safety tolerance outside the host’s FLUX.2 scale (1–5) before calling Replicate', async () => {
    const setup = await setupAsync()
    const response = await setup.postAsync({ prompt: PROMPT, model: 'flux2-max', safetyTolerance: 0 }, [FRAME_1X])

    expect(response.status).toBe(400)
    expect(createCalls(setup.fake)).toHaveLength(0)
  })
})

describe('FLUX.2 [klein] 4B (offer.schema "flux2-klein"): images, a shape and a megapixel option; the host picks the sides', () => {
  /** A 1440×900 frame exported at 2×, and at 1×. */
  const FRAME_2X = makePng(2880, 1800, 31)
  const FRAME_1X = makePng(1440, 900, 32)
  const KLEIN = PROVIDERS.replicate.offers['flux2-klein-4b']

  it('edits at the frame’s shape with match_input_image and the nearest megapixel option, keeping the size the host chose', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', seed: 7, numImages: 2 }, [FRAME_2X])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions.map((created) => created.model)).toEqual([KLEIN.hostModelId, KLEIN.hostModelId])
    const bodies = [...setup.fake.predictions].sort(
      (a, b) => (a.body.input as { seed: number }).seed - (b.body.input as { seed: number }).seed
    )
    expect(bodies.map((created) => created.body)).toStrictEqual(
      [7, 8].map((seed) => ({
        input: {
          prompt: PROMPT,
          // `images`, not FLUX.2's `input_images`; no width, height, safety_tolerance, steps or guidance.
          images: [dataUri(FRAME_2X, 'image/png')],
          aspect_ratio: 'match_input_image',
          // Planned 1824×1136 (the frame's 16:10 within the 2 × 1024² budget, ×16): option "2" is the nearest.
          output_megapixels: '2',
          seed,
          output_format: 'png',
          // Replicate's default is 95 too; sent all the same, like every setting the offer has.
          output_quality: KLEIN.outputQuality.default
        }
      }))
    )

    // The host's own sides (the fake's: 2 × 1024² at 16:10, rounded to 16), one grid step off the
    // planned 1824×1136: reported, stored and served as they came.
    expect(job.images.map((image) => ({ width: image.width, height: image.height, seed: image.seed }))).toEqual([
      { width: 1824, height: 1152, seed: 7 },
      { width: 1824, height: 1152, seed: 8 }
    ])
    expect(imageSize((await setup.imageAsync(job, 1)).bytes)).toMatchObject({ width: 1824, height: 1152, type: 'png' })
    // Replicate reports no cost: the catalogue's, priced at the planned size. Each image: 1.4¢ + 2 further
    // megapixels started (2.07 MP) × 0.1¢ + 6 reference megapixels started (5.18 MP) × 0.1¢ = 2.2¢.
    expect(job).toMatchObject({ cost: 0.044, costEstimated: true })
  })

  it('sends a named ratio as its name, several references in one images list, and 1 MP for a smaller plan', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', aspectRatio: '1:1', outputFormat: 'webp' }, [
      FRAME_1X,
      REFERENCE_JPEG
    ])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.predictions[0]!.body).toStrictEqual({
      input: {
        prompt: PROMPT,
        images: [dataUri(FRAME_1X, 'image/png'), dataUri(REFERENCE_JPEG, 'image/jpeg')],
        aspect_ratio: '1:1',
        // Planned 1136×1136 (1.29 MP, the reference's pixels): nearer "1" than "2".
        output_megapixels: '1',
        output_format: 'webp',
        output_quality: KLEIN.outputQuality.default
      }
    })
    expect(job.images[0]).toMatchObject({ width: 1024, height: 1024, contentType: 'image/webp' })
    // 1.4¢ + 1 further megapixel started (1.29 MP) × 0.1¢ + 2 reference megapixels started (1.30 MP) × 0.1¢.
    expect(job).toMatchObject({ cost: 0.017, costEstimated: true })
  })

  it('refuses a ratio klein lacks (21:9) before uploading or creating anything', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', aspectRatio: '21:9' }, [FRAME_1X])

    expectFailed(job, 'invalid_request')
    expect(job.error!.message).toContain('21:9')
    expect(setup.fake.requests.filter((request) => request.method === 'POST')).toEqual([])
  })

  it('offers no [klein] 9B on Replicate (its schema is unconfirmed), refusing it before calling the host', async () => {
    expect(PROVIDERS.replicate.offers).not.toHaveProperty('flux2-klein-9b')
    const setup = await setupAsync()
    const response = await setup.postAsync({ prompt: PROMPT, model: 'flux2-klein-9b' }, [FRAME_1X])

    expect(response.status).toBe(400)
    expect(createCalls(setup.fake)).toHaveLength(0)
  })

  it('is held by the fake to klein’s own schema: the body the relay sends plus FLUX.2 [pro]’s safety_tolerance is refused', async () => {
    const setup = await setupAsync()
    expect((await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b' }, [FRAME_1X])).status).toBe('succeeded')
    const sent = setup.fake.predictions[0]!.body as { input: Record<string, unknown> }

    const response = await fetch(`${setup.fake.url}/v1/models/${KLEIN.hostModelId}/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${setup.fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { ...sent.input, safety_tolerance: 2 } })
    })

    expect(response.status).toBe(422)
    expect(await response.json()).toMatchObject({
      invalid_fields: [{ field: 'input', description: 'Additional property safety_tolerance is not allowed' }]
    })
    expect(setup.fake.submissions()).toBe(1)
  })
})

describe('references above 1 MB go through the Files API, as Replicate’s client does', () => {
  const large = [LARGE_PNG]
  const uploadCalls = (fake: FakeReplicate) => fake.requests.filter((request) => request.method === 'POST' && request.path === '/v1/files')

  it('uploads the reference as multipart content + metadata with the token, and sends the file’s urls.get', async () => {
    expect(LARGE_PNG.byteLength).toBeGreaterThan(1_000_000)
    const setup = await setupAsync()
    const job = await setup.editAsync(EDIT, large)

    expect(job.status).toBe('succeeded')
    const [upload] = uploadCalls(setup.fake)
    expect(uploadCalls(setup.fake)).toHaveLength(1)
    expect(upload!.headers.authorization).toBe(`Bearer ${setup.fake.token}`)
    expect(upload!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    const [file] = setup.fake.uploads
    expect(file).toMatchObject({ name: 'reference-1.png', contentType: 'image/png', metadata: {} })
    expect(Buffer.from(file!.bytes).equals(Buffer.from(LARGE_PNG))).toBe(true)

    const [created] = setup.fake.predictions
    expect(created!.body).toMatchObject({ input: { input_image: file!.url } })
    expect(JSON.stringify(created!.body)).not.toContain('data:')
    const paths = setup.fake.requests.map((request) => request.path)
    expect(paths.indexOf('/v1/files')).toBeLessThan(paths.indexOf(`/v1/models/${MAX}/predictions`))
  })

  it('deletes the upload once the edit is over, succeeded or failed, with the token (the client’s deleteFile)', async () => {
    const setup = await setupAsync()
    expect((await setup.editAsync(EDIT, large)).status).toBe('succeeded')
    await vi.waitFor(() => expect(setup.fake.deletedFiles).toEqual([setup.fake.uploads[0]!.id]), { timeout: 5000, interval: 20 })
    const deletion = setup.fake.requests.find((request) => request.method === 'DELETE')
    expect(deletion).toMatchObject({
      path: `/v1/files/${setup.fake.uploads[0]!.id}`,
      headers: { authorization: `Bearer ${setup.fake.token}` }
    })
    expect(contractTranscript.logs.some((line) => line.includes('"provider.file_deleted"'))).toBe(true)

    setup.fake.failNext({ kind: 'model-error' })
    expectFailed(await setup.editAsync(EDIT, large), 'provider_error')
    await vi.waitFor(() => expect(setup.fake.deletedFiles).toEqual(setup.fake.uploads.map((file) => file.id)), {
      timeout: 5000,
      interval: 20
    })
    // A deleted file is gone at Replicate: its urls.get answers 404 now.
    expect((await fetch(setup.fake.uploads[0]!.url, { headers: { authorization: `Bearer ${setup.fake.token}` } })).status).toBe(404)
  })

  it('deletes what was uploaded when another reference’s upload fails', async () => {
    const setup = await setupAsync()
    // The second upload is refused for good; the first one's file must not stay behind.
    setup.fake.failNextUpload({ kind: 'status', status: 413 })
    expectFailed(await setup.editAsync(EDIT, [LARGE_PNG, makeNoisyPng(640, 640, 14)]), 'provider_error')
    await vi.waitFor(() => expect(setup.fake.deletedFiles).toEqual(setup.fake.uploads.map((file) => file.id)), {
      timeout: 5000,
      interval: 20
    })
    expect(setup.fake.uploads).toHaveLength(1)
    expect(createCalls(setup.fake)).toHaveLength(0)
  })

  it('uploads once for all variants, and keeps a small second reference inline', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 2 }, [...large, REFERENCE_JPEG])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.uploads).toHaveLength(1)
    expect(setup.fake.predictions).toHaveLength(2)
    for (const prediction of setup.fake.predictions) {
      expect(prediction.body).toMatchObject({
        input: { input_image_1: setup.fake.uploads[0]!.url, input_image_2: dataUri(REFERENCE_JPEG, 'image/jpeg') }
      })
    }
  })

  it('uploads again after a 429 (Retry-After: 0) and a 503, then creates the prediction once', async () => {
    const setup = await setupAsync()
    setup.fake.failNextUpload({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    setup.fake.failNextUpload({ kind: 'status', status: 503, retryAfterSeconds: 0 })
    const job = await setup.editAsync(EDIT, large)

    expect(job.status).toBe('succeeded')
    expect(uploadCalls(setup.fake)).toHaveLength(3)
    expect(setup.fake.uploads).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(1)
  })

  it.each([
    ['three 429s', { kind: 'status', status: 429, retryAfterSeconds: 0 }, 3, 'rate_limited', 3],
    ['three 503s', { kind: 'status', status: 503, retryAfterSeconds: 0 }, 3, 'provider_unavailable', 3],
    ['a refused token (401)', { kind: 'status', status: 401 }, 1, 'provider_not_configured', 1],
    ['a 413', { kind: 'status', status: 413 }, 1, 'provider_error', 1],
    ['a 500', { kind: 'status', status: 500 }, 1, 'provider_unavailable', 1]
  ] as const)('fails an upload refused with %s as %s, creating no prediction', async (_name, fault, times, code, calls) => {
    const setup = await setupAsync()
    setup.fake.failNextUpload(fault, times)
    expectFailed(await setup.editAsync(EDIT, large), code)
    expect(uploadCalls(setup.fake)).toHaveLength(calls)
    expect(createCalls(setup.fake)).toHaveLength(0)
  })
})

describe('following a prediction', () => {
  it('polls urls.get when the hold ends first, through a 500 and a garbled answer, and reports running', async () => {
    const setup = await setupAsync({
      latencyMs: 1300,
      env: { REPLICATE_WAIT_SECONDS: '1' },
      faults: [{ kind: 'poll-status', status: 500 }, { kind: 'poll-malformed' }]
    })
    const id = await setup.createAsync({ prompt: PROMPT, numImages: 2 })
    await vi.waitFor(() => expect(setup.fake.requests.some((request) => request.method === 'GET')).toBe(true), {
      timeout: 5000,
      interval: 20
    })
    const during = await jobNowAsync(setup, id)
    const job = await setup.endAsync(id)

    expect(during.status).toBe('running')
    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(2)
    expect(createCalls(setup.fake)).toHaveLength(2)
    const polled = new Set(
      setup.fake.requests
        .filter((request) => request.method === 'GET' && request.path.startsWith('/v1/predictions/'))
        .map((request) => request.path)
    )
    expect(polled).toEqual(new Set(setup.fake.predictions.map((created) => `/v1/predictions/${created.id}`)))
  })
})

describe('the host’s failures', () => {
  it('maps an E005 failure to moderated, with Replicate’s text only in the log', async () => {
    const setup = await setupAsync({ faults: [{ kind: 'moderation' }] })
    const job = await setup.editAsync(EDIT)

    expectFailed(job, 'moderated')
    expect(job.error!.message).toBe(ERROR_MESSAGES.moderated)
    expect(JSON.stringify(job)).not.toContain('E005')
    // Settle, not close: the harness still cancels through the relay when the test ends.
    await setup.relay.relay.jobs.settleAsync()
    expect(setup.relay.logs.some((line) => line.includes('E005'))).toBe(true)
  })

  it('maps 402 to insufficient_credit without trying again', async () => {
    const setup = await setupAsync({ faults: [{ kind: 'status', status: 402 }] })
    expectFailed(await setup.editAsync(EDIT), 'insufficient_credit')
    expect(createCalls(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('maps a refused token (401) to provider_not_configured without trying again', async () => {
    const setup = await setupAsync({ env: { REPLICATE_API_TOKEN: WRONG_KEY } })
    expectFailed(await setup.editAsync(EDIT), 'provider_not_configured')
    expect(createCalls(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('submits again after a 429 (Retry-After: 0) and succeeds, created once', async () => {
    const setup = await setupAsync({ faults: [{ kind: 'status', status: 429, retryAfterSeconds: 0 }] })
    const job = await setup.editAsync(EDIT)
    expect(job.status).toBe('succeeded')
    expect(createCalls(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('gives up with rate_limited after three 429s', async () => {
    const setup = await setupAsync({ faults: Array(3).fill({ kind: 'status', status: 429, retryAfterSeconds: 0 }) as ReplicateFault[] })
    expectFailed(await setup.editAsync(EDIT), 'rate_limited')
    expect(createCalls(setup.fake)).toHaveLength(3)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('submits again after a 503 refusal, but never after a 500 (the prediction may exist)', async () => {
    const refused = await setupAsync({ faults: [{ kind: 'status', status: 503, retryAfterSeconds: 0 }] })
    expect((await refused.editAsync(EDIT)).status).toBe('succeeded')
    expect(createCalls(refused.fake)).toHaveLength(2)
    expect(refused.fake.submissions()).toBe(1)

    const broken = await setupAsync({ faults: [{ kind: 'status', status: 500 }] })
    expectFailed(await broken.editAsync(EDIT), 'provider_unavailable')
    expect(createCalls(broken.fake)).toHaveLength(1)
  })

  it.each([
    ['the connection drops before the prediction is created', 'provider_unavailable', { kind: 'reset' }, 0],
    ['the connection drops after the prediction is created', 'provider_unavailable', { kind: 'reset-after-accept' }, 1],
    ['the 201 answer is garbled', 'provider_error', { kind: 'malformed' }, 1]
  ] as const)('does not submit again when %s (%s)', async (_name, code, fault, created) => {
    const setup = await setupAsync({ faults: [fault] })
    expectFailed(await setup.editAsync(EDIT), code)
    expect(createCalls(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(created)
  })

  it.each([
    ['a model error', 'provider_error', { kind: 'model-error' }],
    ['an aborted prediction (its deadline passed before it started)', 'timeout', { kind: 'aborted' }],
    ['a success without output', 'provider_error', { kind: 'no-output' }],
    ['an expired result URL', 'provider_error', { kind: 'expired-output' }],
    ['a truncated result image', 'provider_error', { kind: 'truncated-image' }]
  ] as const)('maps %s to %s', async (_name, code, fault) => {
    const setup = await setupAsync({ faults: [fault] })
    expectFailed(await setup.editAsync(EDIT), code)
    expect(setup.fake.submissions()).toBe(1)
  })
})

describe('variants through the variant engine (relay/providers/shared/run-variants-async.ts)', () => {
  it('keeps the image of the prediction that succeeded when its sibling fails, and cancels neither', async () => {
    const setup = await setupAsync({ faults: [{ kind: 'model-error' }] })
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 2, seed: 10 })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(2)
    expect(setup.fake.cancels).toEqual([])
    const seeds = setup.fake.predictions.map((created) => (created.body.input as { seed: number }).seed)
    expect(seeds.sort()).toEqual([10, 11])
    // Settle, not close: the harness still cancels through the relay when the test ends.
    await setup.relay.relay.jobs.settleAsync()
    expect(setup.relay.logs.some((line) => line.includes('"provider.variant_failed"'))).toBe(true)
  })

  it('fails when no prediction delivered, with a prediction’s error', async () => {
    // The same fault twice: which create arrives first at the fake is not fixed.
    const setup = await setupAsync({ faults: [{ kind: 'moderation' }, { kind: 'moderation' }] })
    expectFailed(await setup.editAsync({ prompt: PROMPT, numImages: 2 }), 'moderated')
    expect(setup.fake.submissions()).toBe(2)
  })
})

describe('deadline and cancel', () => {
  it('fails with timeout at the deadline and cancels the prediction at Replicate', async () => {
    const setup = await setupAsync({ latencyMs: 60_000, env: { REPLICATE_WAIT_SECONDS: '1', PROVIDER_TIMEOUT_SECONDS: '2' } })
    const job = await setup.editAsync(EDIT)

    expectFailed(job, 'timeout')
    await vi.waitFor(() => expect(setup.fake.cancels).toEqual([setup.fake.predictions[0]!.id]), { timeout: 5000, interval: 20 })
    expect(await setup.fake.statusOf(setup.fake.predictions[0]!.id)).toBe('canceled')
  })

  it('fails with timeout when the create is never answered, having created nothing', async () => {
    const setup = await setupAsync({ faults: [{ kind: 'hang' }], env: { PROVIDER_TIMEOUT_SECONDS: '1' } })
    expectFailed(await setup.editAsync(EDIT), 'timeout')
    expect(createCalls(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('cancels at Replicate when the edit is cancelled while polling', async () => {
    const setup = await setupAsync({ latencyMs: 60_000, env: { REPLICATE_WAIT_SECONDS: '1' } })
    const id = await setup.createAsync(EDIT)
    await vi.waitFor(() => expect(setup.fake.requests.some((request) => request.method === 'GET')).toBe(true), {
      timeout: 5000,
      interval: 20
    })

    const canceled = await setup.cancelAsync(id)

    expect(canceled.status).toBe('canceled')
    await vi.waitFor(() => expect(setup.fake.cancels).toEqual([setup.fake.predictions[0]!.id]), { timeout: 5000, interval: 20 })
    expect(await setup.fake.statusOf(setup.fake.predictions[0]!.id)).toBe('canceled')
    expect((await jobNowAsync(setup, id)).status).toBe('canceled')
  })

  it('cancels at Replicate when the edit is cancelled during the Prefer: wait hold, once the id is known', async () => {
    const setup = await setupAsync({ latencyMs: 60_000, env: { REPLICATE_WAIT_SECONDS: '1' } })
    const id = await setup.createAsync({ prompt: PROMPT, numImages: 2 })
    await vi.waitFor(() => expect(setup.fake.submissions()).toBe(2), { timeout: 5000, interval: 10 })

    const canceled = await setup.cancelAsync(id)

    expect(canceled.status).toBe('canceled')
    await vi.waitFor(() => expect([...setup.fake.cancels].sort()).toEqual(setup.fake.predictions.map((created) => created.id).sort()), {
      timeout: 5000,
      interval: 20
    })
    expect(createCalls(setup.fake)).toHaveLength(2)
  })
})

describe('the adapter alone, with an instant sleep', () => {
  function adapter(fake: { url: string; token: string }, fetchImpl: typeof fetch = fetch) {
    const sleeps: number[] = []
    const urls: string[] = []
    const deps: ProviderDeps = {
      fetch: (url, init) => {
        urls.push(url instanceof Request ? url.url : url.toString())
        return fetchImpl(url, init)
      },
      sleepAsync: (ms, signal) => {
        sleeps.push(ms)
        return signal.aborted ? Promise.reject(signal.reason as Error) : new Promise((resolve) => setImmediate(resolve))
      },
      randomUUID: () => crypto.randomUUID(),
      now: Date.now,
      log: (event, fields) => contractTranscript.logs.push(JSON.stringify({ event, ...fields }))
    }
    const host: HostConfig = {
      enabled: true,
      key: fake.token,
      url: fake.url,
      settings: { REPLICATE_WAIT_SECONDS: '1' },
      offerOverrides: {}
    }
    return { provider: createReplicateProvider(host, deps), sleeps, urls }
  }

  function editInput(signal: AbortSignal, bytes: Uint8Array = REFERENCE_PNG): ProviderEditInput {
    return {
      request: EditRequest.parse({ prompt: PROMPT }),
      model: 'kontext-max',
      offer: PROVIDERS.replicate.offers['kontext-max'],
      size: KONTEXT_SIZES[1],
      aspectRatio: '16:9',
      references: [{ bytes, contentType: 'image/png', width: 64, height: 36 }],
      signal,
      onProgress: () => undefined
    }
  }

  async function fakeAsync(): Promise<FakeReplicate> {
    const fake = await startFakeReplicateAsync({ token: KEY })
    onTestFinished(() => fake.close())
    return fake
  }

  it('waits as long as Retry-After says after a 429', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 7 })
    const { provider, sleeps } = adapter(fake)

    const result = await provider.editAsync(editInput(AbortSignal.timeout(5000)))

    expect(result).toMatchObject({ costUsd: undefined, hostJobId: fake.predictions[0]!.id })
    expect(result.images).toHaveLength(1)
    expect(sleeps).toEqual([7000])
    expect(fake.submissions()).toBe(1)
  })

  it('backs off 1 s, then 2 s, after 503s without Retry-After, and gives up after three submits', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'status', status: 503 }, 3)
    // The fake's 503 carries Retry-After: 30 unless told otherwise; strip it to see the back-off.
    const stripRetryAfter: typeof fetch = async (url, init) => {
      const response = await fetch(url, init)
      const headers = new Headers(response.headers)
      headers.delete('retry-after')
      return new Response(response.body, { status: response.status, headers })
    }
    const bare = adapter(fake, stripRetryAfter)

    await expect(bare.provider.editAsync(editInput(AbortSignal.timeout(5000)))).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(bare.sleeps).toEqual([1000, 2000])
    expect(createCalls(fake)).toHaveLength(3)
    expect(fake.submissions()).toBe(0)
  })

  it('submits again when the host cannot be reached at all, three times at most', async () => {
    const refused: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))
    const { provider, sleeps, urls } = adapter({ url: 'http://127.0.0.1:9', token: 'r8_unreachable-token' }, refused)

    await expect(provider.editAsync(editInput(AbortSignal.timeout(5000)))).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(urls).toHaveLength(3)
    expect(sleeps).toEqual([1000, 2000])
  })

  it('uploads again when the Files API cannot be reached at all, three times at most, backing off 1 s then 2 s', async () => {
    const refused: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))
    const { provider, sleeps, urls } = adapter({ url: 'http://127.0.0.1:9', token: 'r8_unreachable-token' }, refused)

    await expect(provider.editAsync(editInput(AbortSignal.timeout(5000), LARGE_PNG))).rejects.toMatchObject({
      code: 'provider_unavailable'
    })
    expect(urls).toEqual(Array(3).fill('http://127.0.0.1:9/v1/files'))
    expect(sleeps).toEqual([1000, 2000])
  })

  it('never sends the token to a urls.get on another origin', async () => {
    const fake = await fakeAsync()
    fake.setLatency(60_000)
    const elsewhere: typeof fetch = async (url, init) => {
      const response = await fetch(url, init)
      const text = (await response.text()).replaceAll(fake.url, 'https://elsewhere.example')
      return new Response(text, { status: response.status, headers: response.headers })
    }
    const { provider, urls } = adapter(fake, elsewhere)

    await expect(provider.editAsync(editInput(AbortSignal.timeout(5000)))).rejects.toMatchObject({ code: 'provider_error' })
    expect(urls.filter((url) => url.includes('elsewhere'))).toEqual([])
  })
})

describe('secrets', () => {
  it('never puts a Replicate token in a relay answer or log line, nor a prompt or image data in a log line', () => {
    // Runs after the tests above in this file (vitest keeps declaration order).
    expect(contractTranscript.responses.length).toBeGreaterThan(20)
    expect(contractTranscript.logs.length).toBeGreaterThan(20)
    expectKeyKeptOut(KEY)
    expectKeyKeptOut(WRONG_KEY)
    for (const line of contractTranscript.logs) {
      expect(line).not.toContain(PROMPT)
      expect(line).not.toContain('data:image')
    }
  })
})
