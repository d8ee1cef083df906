/**
 * The real relay over HTTP against the strict fake Runflow (sources in its header; host notes in
 * docs/hosts.md, "Runflow"): multipart requests as the plugin sends them, the job followed to its
 * end, the images fetched back (through the shared host contract). The last test checks every
 * relay answer and log line of the file for the Runflow key.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { PNG } from 'pngjs'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { ProviderDeps, ProviderEditInput } from '../../relay/providers/provider'
import { buildRunflowInput } from '../../relay/providers/runflow/build-runflow-input'
import { createRunflowProvider } from '../../relay/providers/runflow/runflow-provider'
import { ERROR_MESSAGES } from '../../shared/errors'
import { PROVIDERS } from '../../shared/models'
import { EditRequest, type EditJob, type EditRequestInput } from '../../shared/relay-api'
import { makeJpeg, makePng } from '../fakes/make-image'
import {
  DEFAULT_RUNFLOW_MODELS,
  startFakeRunflowAsync,
  type FakeRunflow,
  type FakeRunflowOptions,
  type RunflowOutputShape
} from '../fakes/runflow-server'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { startRelayAsync } from '../support/start-relay-async'

const KEY = `rf_live_${randomUUID().replaceAll('-', '')}`
const REFERENCE = makePng(64, 36, 3)
const PRO = 'black-forest-labs/flux-pro/kontext'
const MAX = 'black-forest-labs/flux-pro/kontext/max'

/** The host contract plus the fake behind it, which the assertions read. */
interface Setup extends HostContract {
  fake: FakeRunflow
}

/** The relay in front of a fresh fake Runflow; `env` overrides the relay's variables (a wrong key, a model id, a deadline). */
async function setupAsync(fakeOptions: Partial<FakeRunflowOptions> = {}, env: Record<string, string> = {}): Promise<Setup> {
  const fake = await startFakeRunflowAsync({ apiKey: KEY, ...fakeOptions })
  const contract = await startHostContractAsync(
    'runflow',
    { RUNFLOW_API_KEY: KEY, RUNFLOW_API_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...env },
    { closeFakeAsync: () => fake.close(), reference: REFERENCE }
  )
  return { ...contract, fake }
}

/** The create calls the fake received (accepted or not). */
function creates(fake: FakeRunflow) {
  return fake.requests.filter((request) => request.method === 'POST' && /^\/v1\/models\/.+\/runs$/.test(request.path))
}

function inputOf(fake: FakeRunflow, index = 0): Record<string, unknown> {
  return fake.runs[index]!.body.input as Record<string, unknown>
}

/** The bytes of the uploaded asset a run input names `runflow://assets/{id}` (the SDK's `UploadedAsset.ref`). */
function assetBytes(fake: FakeRunflow, value: unknown): Uint8Array {
  const match = /^runflow:\/\/assets\/([^/]+)$/.exec(String(value))
  expect(match).not.toBeNull()
  const asset = fake.assets.find((candidate) => candidate.id === match![1])
  expect(asset).toMatchObject({ confirmed: true, putAuthorization: undefined })
  return asset!.bytes!
}

function dataUriBytes(value: unknown): Uint8Array {
  const match = /^data:image\/(png|jpeg);base64,(.+)$/.exec(String(value))
  expect(match).not.toBeNull()
  return new Uint8Array(Buffer.from(match![2]!, 'base64'))
}

/** A PNG of random pixels: it does not compress, so it is larger than 1 MiB. */
function noisyPng(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height })
  randomBytes(png.data.length).copy(png.data)
  return new Uint8Array(PNG.sync.write(png))
}

function failedWith(job: EditJob, code: string) {
  expect(job.status).toBe('failed')
  expect(job.error).toEqual({ code, message: expect.any(String) })
}

describe('the wire format (docs.runflow.io model page; SDK client.ts)', () => {
  it('sends one uploaded reference to the pro model, field for field, and returns the host’s image and cost', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Make the sky purple', model: 'kontext-pro', aspectRatio: '16:9' })

    expect(job).toMatchObject({ status: 'succeeded', provider: 'runflow', model: 'kontext-pro', cost: 0.08 })
    expect(job.costEstimated).toBeUndefined()
    expect(job.images).toEqual([{ url: expect.any(String), width: 1392, height: 752, contentType: 'image/png' }])
    const { bytes } = await setup.imageAsync(job, 0)
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })

    const [create] = creates(setup.fake)
    expect(create!.path).toBe(`/v1/models/${PRO}/runs`)
    expect(create!.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(create!.headers['content-type']).toMatch(/^application\/json/)
    expect(setup.fake.runs[0]!.body).toEqual({
      input: {
        prompt: 'Make the sky purple',
        image_url: `runflow://assets/${setup.fake.assets[0]!.id}`,
        aspect_ratio: '16:9',
        num_images: 1,
        guidance_scale: 3.5,
        output_format: 'png',
        safety_tolerance: '2',
        enhance_prompt: false,
        sync_mode: false
      }
    })
    expect(assetBytes(setup.fake, inputOf(setup.fake).image_url)).toEqual(REFERENCE)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('asks the max model for four variants in one run, with every optional setting mapped', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({
      prompt: 'Turn it into a watercolour',
      model: 'kontext-max',
      numImages: 4,
      seed: 42,
      outputFormat: 'jpeg',
      safetyTolerance: 0,
      promptUpsampling: true,
      guidance: 7.5,
      aspectRatio: '3:4'
    })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(4)
    expect(job.images.map((image) => [image.width, image.height, image.contentType])).toEqual(Array(4).fill([880, 1184, 'image/jpeg']))
    expect(job.images[0]!.seed).toBe(42)
    expect(job.cost).toBeCloseTo(0.32)
    const images = await Promise.all([0, 1, 2, 3].map(async (index) => (await setup.imageAsync(job, index)).bytes))
    expect(new Set(images.map((bytes) => Buffer.from(bytes).toString('base64'))).size).toBe(4)

    expect(setup.fake.runs).toHaveLength(1)
    expect(setup.fake.runs[0]!.modelId).toBe(MAX)
    expect(inputOf(setup.fake)).toEqual({
      prompt: 'Turn it into a watercolour',
      image_url: expect.stringMatching(/^runflow:\/\/assets\//),
      aspect_ratio: '3:4',
      num_images: 4,
      guidance_scale: 7.5,
      output_format: 'jpeg',
      // Relay 0 (strictest) has no Runflow equivalent: "1" is Runflow's strictest.
      safety_tolerance: '1',
      enhance_prompt: true,
      seed: 42,
      sync_mode: false
    })
  })

  it('sends two or more references to the multi model as image_urls, each uploaded and byte-exact', async () => {
    const setup = await setupAsync()
    const second = makeJpeg(40, 40, 9)
    const third = makePng(30, 60, 11)
    const job = await setup.editAsync({ prompt: 'Put the logo on the mug', model: 'kontext-max' }, [REFERENCE, second, third])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.runs[0]!.modelId).toBe(`${MAX}/multi`)
    const input = inputOf(setup.fake)
    expect(input).not.toHaveProperty('image_url')
    expect((input.image_urls as unknown[]).map((value) => assetBytes(setup.fake, value))).toEqual([REFERENCE, second, third])
    // 'auto': the first reference's ratio (64×36 → 16:9).
    expect(input.aspect_ratio).toBe('16:9')
  })

  it('uses the configured model ids as the path the host sees', async () => {
    const single = 'acme/kontext-max-2026'
    const multi = 'acme/kontext-max-2026/multi/v2'
    const setup = await setupAsync(
      { models: { ...DEFAULT_RUNFLOW_MODELS, [single]: 'single', [multi]: 'multi' } },
      { RUNFLOW_MAX_MODEL_ID: single, RUNFLOW_MAX_MULTI_MODEL_ID: multi }
    )
    expect((await setup.editAsync({ prompt: 'One reference', model: 'kontext-max' })).status).toBe('succeeded')
    expect((await setup.editAsync({ prompt: 'Two references', model: 'kontext-max' }, [REFERENCE, REFERENCE])).status).toBe('succeeded')

    expect(creates(setup.fake).map((request) => request.path)).toEqual([`/v1/models/${single}/runs`, `/v1/models/${multi}/runs`])
    expect(setup.fake.runs.map((run) => run.modelId)).toEqual([single, multi])
  })

  it('polls GET /v1/runs/{id} with the key and downloads presigned results without it', async () => {
    const setup = await setupAsync({ latencyMs: 300 })
    const job = await setup.editAsync({ prompt: 'Make the sky purple' })

    expect(job.status).toBe('succeeded')
    const runId = setup.fake.runs[0]!.id
    const polls = setup.fake.requests.filter((request) => request.method === 'GET' && request.path === `/v1/runs/${runId}`)
    expect(polls.length).toBeGreaterThanOrEqual(1)
    for (const poll of polls) expect(poll.headers.authorization).toBe(`Bearer ${KEY}`)
    const results = setup.fake.requests.filter((request) => request.path.startsWith('/storage/results/'))
    expect(results).toHaveLength(1)
    expect(results[0]!.headers.authorization).toBeUndefined()
    // The upload, the run, its polls, the result; no callback, no cancellation, nothing else.
    expect(
      setup.fake.requests.every((request) =>
        /^\/(v1\/asset-uploads(\/[^/]+\/confirmations)?|v1\/models\/.+\/runs|v1\/runs\/[^/]+|storage\/.+)$/.test(request.path)
      )
    ).toBe(true)
  })
})

/** A 1440×900 frame exported at 2×: 5.2 MP, more than klein makes here, so the size is the 4 MP box's (2048 a side). */
const FRAME = { width: 2880, height: 1800 }
const FRAME_PNG = makePng(FRAME.width, FRAME.height, 21)
const KLEIN_9B = 'black-forest-labs/flux-2-klein-9b/edit'

describe('FLUX.2 [klein] 9B edit (docs.runflow.io `flux-2-klein-9b/edit`: fal’s klein schema)', () => {
  it('at a 2880×1800 frame: one path for every reference count, klein’s fields field by field, the result at image_size, Runflow’s cost', async () => {
    const setup = await setupAsync()
    const offer = PROVIDERS.runflow.offers['flux2-klein-9b']
    expect(offer.steps).toMatchObject({ default: 4 })
    const job = await setup.editAsync({ prompt: 'Make the sky purple', model: 'flux2-klein-9b', numImages: 2, seed: 42 }, [
      FRAME_PNG,
      REFERENCE
    ])

    expect(job).toMatchObject({ status: 'succeeded', provider: 'runflow', model: 'flux2-klein-9b' })
    const [create] = creates(setup.fake)
    // Two references, still the one edit model: klein has no /multi endpoint.
    expect(create!.path).toBe(`/v1/models/${KLEIN_9B}/runs`)
    // Field by field: no aspect_ratio, guidance_scale, safety_tolerance or enhance_prompt, which klein's schema lacks.
    expect(setup.fake.runs[0]!.body).toStrictEqual({
      input: {
        prompt: 'Make the sky purple',
        image_urls: [`runflow://assets/${setup.fake.assets[0]!.id}`, `runflow://assets/${setup.fake.assets[1]!.id}`],
        image_size: { width: 2048, height: 1280 },
        num_inference_steps: 4,
        num_images: 2,
        output_format: 'png',
        enable_safety_checker: true,
        seed: 42,
        sync_mode: false
      }
    })
    expect(assetBytes(setup.fake, (inputOf(setup.fake).image_urls as string[])[0])).toEqual(FRAME_PNG)
    expect(setup.fake.submissions()).toBe(1)

    expect(job.images).toHaveLength(2)
    expect(job.images[0]).toMatchObject({ width: 2048, height: 1280, contentType: 'image/png' })
    const { bytes } = await setup.imageAsync(job, 1)
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 2048, height: 1280 })
    // Runflow's own cost: $0.011 × (3 MP out + 6 MP and 1 MP in) for each of two images.
    expect(job.cost).toBeCloseTo(0.22, 6)
    expect(job.costEstimated).toBeUndefined()
  })

  it('the fake refuses a FLUX.2 [pro]-only field on klein (safety_tolerance), as fal’s strict schema does', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY })
    onTestFinished(() => fake.close())
    const answer = await fetch(`${fake.url}/v1/models/${KLEIN_9B}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        input: { prompt: 'x', image_urls: [`data:image/png;base64,${Buffer.from(REFERENCE).toString('base64')}`], safety_tolerance: '2' }
      })
    })
    expect(answer.status).toBe(422)
    expect(JSON.stringify(await answer.json())).toMatch(/safety_tolerance/)
    expect(fake.submissions()).toBe(0)
  })
})

describe('references: the asset upload by default, inline only when RUNFLOW_INLINE_MAX_BYTES allows (SDK assets.ts)', () => {
  const large = noisyPng(620, 620)

  it('uploads every reference by default, even a small one (no key on the PUT), and names it runflow://assets/{id}', async () => {
    const second = makeJpeg(40, 40, 9)
    expect(REFERENCE.byteLength).toBeLessThan(1024)
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Use the texture on the sofa', model: 'kontext-pro', aspectRatio: '1:1' }, [
      REFERENCE,
      second
    ])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.assets).toEqual([
      {
        id: expect.any(String),
        filename: 'reference-1.png',
        mimeType: 'image/png',
        sizeBytes: REFERENCE.byteLength,
        uploaded: true,
        confirmed: true,
        putAuthorization: undefined,
        bytes: REFERENCE
      },
      {
        id: expect.any(String),
        filename: 'reference-2.jpg',
        mimeType: 'image/jpeg',
        sizeBytes: second.byteLength,
        uploaded: true,
        confirmed: true,
        putAuthorization: undefined,
        bytes: second
      }
    ])
    const [first, other] = setup.fake.assets
    expect(inputOf(setup.fake).image_urls).toEqual([`runflow://assets/${first!.id}`, `runflow://assets/${other!.id}`])
    const uploadCalls = setup.fake.requests.filter((request) => request.path.startsWith('/v1/asset-uploads'))
    expect(uploadCalls.map((request) => [request.path, request.body])).toEqual(
      expect.arrayContaining([
        ['/v1/asset-uploads', { filename: 'reference-1.png', mime_type: 'image/png', size_bytes: REFERENCE.byteLength }],
        ['/v1/asset-uploads', { filename: 'reference-2.jpg', mime_type: 'image/jpeg', size_bytes: second.byteLength }],
        [`/v1/asset-uploads/${first!.id}/confirmations`, {}],
        [`/v1/asset-uploads/${other!.id}/confirmations`, {}]
      ])
    )
    expect(uploadCalls).toHaveLength(4)
    for (const call of uploadCalls) expect(call.headers.authorization).toBe(`Bearer ${KEY}`)
  })

  it('works against a Runflow whose models refuse data URIs, because nothing goes inline by default', async () => {
    const setup = await setupAsync({ dataUris: false })
    const job = await setup.editAsync({ prompt: 'Make the sky purple' })

    expect(job.status).toBe('succeeded')
    expect(inputOf(setup.fake).image_url).toBe(`runflow://assets/${setup.fake.assets[0]!.id}`)
  })

  it('sends references smaller than RUNFLOW_INLINE_MAX_BYTES inline as data URIs, and uploads the rest', async () => {
    const bigger = makePng(120, 90, 5)
    expect(bigger.byteLength).toBeGreaterThan(REFERENCE.byteLength)
    const setup = await setupAsync({}, { RUNFLOW_INLINE_MAX_BYTES: String(REFERENCE.byteLength + 1) })
    const job = await setup.editAsync({ prompt: 'Use the texture on the sofa', model: 'kontext-pro', aspectRatio: '1:1' }, [
      bigger,
      REFERENCE
    ])

    expect(job.status).toBe('succeeded')
    expect(setup.fake.assets).toHaveLength(1)
    const urls = inputOf(setup.fake).image_urls as string[]
    expect(assetBytes(setup.fake, urls[0])).toEqual(bigger)
    expect(dataUriBytes(urls[1])).toEqual(REFERENCE)
  })

  it('refuses a RUNFLOW_INLINE_MAX_BYTES that is not a whole number of bytes', async () => {
    await expect(startRelayAsync({ RUNFLOW_API_KEY: KEY, RUNFLOW_INLINE_MAX_BYTES: '-1' })).rejects.toThrow(/RUNFLOW_INLINE_MAX_BYTES/)
  })

  it('retries creating the upload after a 429 and fails cleanly (nothing submitted) when the upload URL has expired', async () => {
    const setup = await setupAsync()
    setup.fake.failNextUpload({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    expect((await setup.editAsync({ prompt: 'Retry the upload' }, [large])).status).toBe('succeeded')

    setup.fake.failNextUpload({ kind: 'expired-url' })
    failedWith(await setup.editAsync({ prompt: 'Expired upload' }, [large]), 'provider_error')
    expect(setup.fake.submissions()).toBe(1)
  })
})

describe('result shapes (SDK tools/outputs.ts; docs.runflow.io/concepts/runs)', () => {
  it.each<RunflowOutputShape>(['outputs', 'image_urls', 'image', 'url', 'output_url'])(
    'reads the image from output shape %s',
    async (outputShape) => {
      const setup = await setupAsync({ outputShape })
      const job = await setup.editAsync({ prompt: 'Make the sky purple', aspectRatio: '1:1', seed: 7 })

      expect(job).toMatchObject({ status: 'succeeded', cost: 0.08 })
      expect(job.images).toHaveLength(1)
      expect(job.images[0]!.seed).toBe(7)
      expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ width: 1024, height: 1024 })
      expect(setup.fake.submissions()).toBe(1)
    }
  )

  it('reads every image of the normalized outputs[] (four variants in one run)', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Four of them', model: 'kontext-max', numImages: 4, aspectRatio: '1:1' })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(4)
    expect(job.cost).toBeCloseTo(0.32)
  })

  it('partial_succeeded delivers the images outputs[] holds, at the cost Runflow billed for them', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'partial' })
    const job = await setup.editAsync({ prompt: 'Half done', numImages: 2 })

    expect(job).toMatchObject({ status: 'succeeded', cost: 0.08 })
    expect(job.images).toHaveLength(1)
    expect(imageSize((await setup.imageAsync(job, 0)).bytes).width).toBeGreaterThan(0)
    expect(setup.relay.logs.some((line) => line.includes('provider.partial_run'))).toBe(true)
    expect(setup.fake.submissions()).toBe(1)
  })
})

describe('failures (SDK types.ts `error`; docs.runflow.io/concepts/errors)', () => {
  it.each<NonNullable<FakeRunflowOptions['runErrorForm']>>(['error', 'failure_fields'])(
    'maps a CONTENT_POLICY_VIOLATION run (%s form) to moderated, with the host’s text only in the log',
    async (runErrorForm) => {
      const setup = await setupAsync({ runErrorForm })
      setup.fake.failNext({ kind: 'moderation' })
      const job = await setup.editAsync({ prompt: 'Something the checker dislikes' })

      expect(job.error).toEqual({ code: 'moderated', message: ERROR_MESSAGES.moderated })
      expect(contractTranscript.responses.join('\n')).not.toContain('content_policy_violation')
      expect(setup.relay.logs.some((line) => line.includes('job.failed') && line.includes('CONTENT_POLICY_VIOLATION'))).toBe(true)
      expect(setup.fake.submissions()).toBe(1)
    }
  )

  it.each<NonNullable<FakeRunflowOptions['runErrorForm']>>(['error', 'failure_fields'])(
    'maps other failure codes (%s form): a failed input check to provider_error, a provider timeout to timeout',
    async (runErrorForm) => {
      const setup = await setupAsync({ runErrorForm })
      setup.fake.failNext({
        kind: 'fail',
        failureCode: 'INPUT_VALIDATION_FAILED',
        failureMessage: 'image dimensions exceed 4096x4096',
        failureStage: 'preprocess'
      })
      failedWith(await setup.editAsync({ prompt: 'Too big' }), 'provider_error')
      setup.fake.failNext({ kind: 'fail', failureCode: 'PROVIDER_TIMEOUT', failureMessage: 'upstream took too long' })
      failedWith(await setup.editAsync({ prompt: 'Too slow' }), 'timeout')
      expect(setup.fake.submissions()).toBe(2)
    }
  )

  it('402 INSUFFICIENT_CREDIT: insufficient_credit, sent once', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 402 })
    const job = await setup.editAsync({ prompt: 'No money' })

    expect(job.error).toEqual({ code: 'insufficient_credit', message: ERROR_MESSAGES.insufficient_credit })
    expect(creates(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('429 with Retry-After: 0, then success: sent again and billed once', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    const job = await setup.editAsync({ prompt: 'Busy host' })

    expect(job.status).toBe('succeeded')
    expect(creates(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('429 three times: rate_limited after three attempts, nothing billed', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 }, 3)
    failedWith(await setup.editAsync({ prompt: 'Busy host' }), 'rate_limited')
    expect(creates(setup.fake)).toHaveLength(3)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('503 MODEL_UNAVAILABLE is a refusal: sent again; a 500 may have been accepted: never sent again', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 })
    expect((await setup.editAsync({ prompt: 'Outage then fine' })).status).toBe('succeeded')
    expect(creates(setup.fake)).toHaveLength(2)

    setup.fake.failNext({ kind: 'status', status: 500 })
    failedWith(await setup.editAsync({ prompt: 'Server error' }), 'provider_unavailable')
    expect(creates(setup.fake)).toHaveLength(3)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('a wrong key: provider_not_configured, the key in neither message nor log', async () => {
    const setup = await setupAsync({}, { RUNFLOW_API_KEY: `rf_live_wrong_${randomUUID()}` })
    const job = await setup.editAsync({ prompt: 'Wrong key' })

    failedWith(job, 'provider_not_configured')
    expect(job.error!.message).not.toMatch(/rf_live/)
    // The reference's upload is the first call, refused once and not sent again; no run is created.
    expect(setup.fake.requests.map((request) => request.path)).toEqual(['/v1/asset-uploads'])
    expect(creates(setup.fake)).toHaveLength(0)
    expect(setup.relay.logs.join('\n')).not.toContain('rf_live_wrong_')
  })

  it('422 validation: provider_error, not sent again', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 422 })
    failedWith(await setup.editAsync({ prompt: 'Rejected' }), 'provider_error')
    expect(creates(setup.fake)).toHaveLength(1)
  })

  it('a connection reset while sending, or after the host accepted: provider_unavailable, never sent twice', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'reset' })
    failedWith(await setup.editAsync({ prompt: 'Reset' }), 'provider_unavailable')
    setup.fake.failNext({ kind: 'reset-after-accept' })
    failedWith(await setup.editAsync({ prompt: 'Reset after accept' }), 'provider_unavailable')

    expect(creates(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('a garbled 201: provider_error, billed once and never sent again', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'malformed' })
    failedWith(await setup.editAsync({ prompt: 'Garbled' }), 'provider_error')
    expect(creates(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('a dropped poll is asked again until the run ends', async () => {
    const setup = await setupAsync()
    setup.fake.failNextPoll({ kind: 'reset' })
    const job = await setup.editAsync({ prompt: 'Flaky polls' })

    expect(job.status).toBe('succeeded')
    expect(setup.fake.polls()).toBe(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('an expired result URL or a truncated result: provider_error', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'expired-results' })
    failedWith(await setup.editAsync({ prompt: 'Expired' }), 'provider_error')
    expect(setup.relay.logs.some((line) => line.includes('403'))).toBe(true)
    setup.fake.failNext({ kind: 'truncated-image' })
    failedWith(await setup.editAsync({ prompt: 'Truncated' }), 'provider_error')
    expect(setup.fake.submissions()).toBe(2)
  })

  it('a run canceled at the host ends canceled', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'canceled' })
    failedWith(await setup.editAsync({ prompt: 'Canceled by an admin' }), 'canceled')
  })
})

describe('deadlines and cancel', () => {
  it('a create that never answers, or a run that never ends: timeout', async () => {
    const setup = await setupAsync({}, { PROVIDER_TIMEOUT_SECONDS: '1' })
    setup.fake.failNext({ kind: 'hang' })
    setup.fake.failNext({ kind: 'stall' })
    const [hung, stalled] = await Promise.all([setup.editAsync({ prompt: 'Hang' }), setup.editAsync({ prompt: 'Stall' })])

    failedWith(hung, 'timeout')
    failedWith(stalled, 'timeout')
    expect(creates(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('DELETE cancels for the client at once; Runflow has no public cancel, so none is sent, and the relay keeps following the run it is billed for and keeps its image', async () => {
    const setup = await setupAsync({ latencyMs: 1_500 }, { PROVIDER_TIMEOUT_SECONDS: '120' })
    const id = await setup.createAsync({ prompt: 'Cancel me' })
    await vi.waitFor(() => expect(setup.fake.polls()).toBeGreaterThanOrEqual(1), { timeout: 5000 })

    expect(await setup.cancelAsync(id)).toMatchObject({ status: 'canceled', error: { code: 'canceled' } })
    const pollsAtCancel = setup.fake.polls()
    await setup.relay.relay.jobs.settleAsync()
    expect(setup.fake.polls()).toBeGreaterThan(pollsAtCancel)
    expect(setup.fake.requests.filter((request) => /cancel/i.test(request.path))).toEqual([])
    expect(setup.fake.submissions()).toBe(1)
    const ended = await setup.endAsync(id)
    expect(ended.status).toBe('canceled')
    expect(ended.images).toHaveLength(1)
  })
})

describe('the adapter alone, with instant sleeps', () => {
  function adapter(url: string, fetchImpl: typeof fetch = fetch) {
    const sleeps: number[] = []
    const logs: string[] = []
    const deps: ProviderDeps = {
      fetch: fetchImpl,
      sleepAsync: (ms, signal) => {
        sleeps.push(ms)
        return signal.aborted ? Promise.reject(signal.reason) : new Promise((resolve) => setImmediate(resolve))
      },
      randomUUID,
      now: Date.now,
      log: (event, fields) => logs.push(`${event} ${JSON.stringify(fields)}`)
    }
    const provider = createRunflowProvider({ enabled: true, key: KEY, url, settings: {}, offerOverrides: {} }, deps)
    return { provider, sleeps, logs }
  }

  function input(request: EditRequestInput = { prompt: 'Make the sky purple', model: 'kontext-pro' }): ProviderEditInput {
    const parsed = EditRequest.parse(request)
    return {
      request: parsed,
      model: parsed.model,
      offer: PROVIDERS.runflow.offers[parsed.model as 'kontext-pro'],
      size: { width: 1392, height: 752 },
      aspectRatio: '16:9',
      references: [{ bytes: REFERENCE, contentType: 'image/png', width: 64, height: 36 }],
      signal: AbortSignal.timeout(10_000),
      onProgress: () => {}
    }
  }

  it('honours Retry-After, capped at 30 s', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY })
    onTestFinished(() => fake.close())
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 7 })
    fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 3600 })
    const { provider, sleeps } = adapter(fake.url)

    const result = await provider.editAsync(input())
    expect(result.images).toHaveLength(1)
    expect(result.costUsd).toBe(0.08)
    expect(result.hostJobId).toBe(fake.runs[0]!.id)
    expect(sleeps.slice(0, 2)).toEqual([7000, 30_000])
  })

  it('asks again after 429, 5xx and garbled polls, and stops at a vanished run (404)', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY })
    onTestFinished(() => fake.close())
    for (const status of [429, 500, 502, 503] as const) fake.failNextPoll({ kind: 'status', status })
    fake.failNextPoll({ kind: 'malformed' })
    const { provider, logs } = adapter(fake.url)
    expect((await provider.editAsync(input())).images).toHaveLength(1)
    expect(fake.polls()).toBe(6)
    expect(logs.filter((line) => line.startsWith('provider.poll_retry'))).toHaveLength(5)
    expect(fake.submissions()).toBe(1)

    fake.failNextPoll({ kind: 'status', status: 404 })
    await expect(provider.editAsync(input())).rejects.toMatchObject({
      code: 'provider_error',
      detail: expect.stringContaining('RUN_NOT_FOUND')
    })
    expect(fake.polls()).toBe(7)
  })

  it('reads the nested error body {"error": {code, message}} the SDK’s client parses', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY, httpErrorForm: 'nested' })
    onTestFinished(() => fake.close())
    fake.failNext({ kind: 'status', status: 402 })
    const { provider } = adapter(fake.url)
    await expect(provider.editAsync(input())).rejects.toMatchObject({
      code: 'insufficient_credit',
      detail: 'Runflow 402: INSUFFICIENT_CREDIT: Simulated 402.'
    })
  })

  it('backs off 1 s after a 429 without Retry-After (the newer rate-limit docs), then succeeds', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY })
    onTestFinished(() => fake.close())
    fake.failNext({ kind: 'status', status: 429 })
    const { provider, sleeps } = adapter(fake.url)
    expect((await provider.editAsync(input())).images).toHaveLength(1)
    expect(sleeps[0]).toBe(1000)
    expect(fake.submissions()).toBe(1)
  })

  it('retries a connection that never opened (1 s, 2 s) and then gives up with provider_unavailable', async () => {
    const refused: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))
    const { provider, sleeps } = adapter('http://127.0.0.1:9', refused)
    await expect(provider.editAsync(input())).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(sleeps).toEqual([1000, 2000])
  })

  it('reports queued, then running, as the run moves', async () => {
    const fake = await startFakeRunflowAsync({ apiKey: KEY, latencyMs: 600 })
    onTestFinished(() => fake.close())
    const progress: string[] = []
    // Short real sleeps here, so the run has time to move between polls.
    const provider = createRunflowProvider(
      { enabled: true, key: KEY, url: fake.url, settings: {}, offerOverrides: {} },
      {
        fetch,
        sleepAsync: (ms, signal) =>
          new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 100))).then(() => signal.throwIfAborted()),
        randomUUID,
        now: Date.now,
        log: () => {}
      }
    )
    await provider.editAsync({ ...input(), onProgress: (update) => progress.push(update.status) })
    expect(progress[0]).toBe('queued')
    expect(progress.at(-1)).toBe('running')
  })

  it('maps every relay safety tolerance to Runflow’s string scale', () => {
    const values = [0, 1, 2, 3, 4, 5, 6].map(
      (safetyTolerance) => buildRunflowInput(input({ prompt: 'Safety', safetyTolerance }), ['data:'], 1, undefined).safety_tolerance
    )
    expect(values).toEqual(['1', '1', '2', '3', '4', '5', '6'])
  })
})

describe('the key', () => {
  // Last in the file: every relay answer and log line of the tests above.
  it('the Runflow key reaches no client and no log line', () => {
    expectKeyKeptOut(KEY)
  })
})
