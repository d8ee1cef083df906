/**
 * Contract tests of the BFL adapter: the real relay over HTTP (startHostContractAsync) in front of the
 * strict fake (three servers: api, a second "cluster" for polling, a delivery host), requests made
 * the way the plugin makes them; then the adapter on its own for timing, routing and key rules.
 */
import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import type { HostConfig } from '../../relay/config'
import { createBflProvider } from '../../relay/providers/bfl/bfl-provider'
import { buildBflBody } from '../../relay/providers/bfl/build-bfl-body'
import { mayReceiveBflKey } from '../../relay/providers/bfl/may-receive-bfl-key'
import type { ProviderDeps, ProviderEditInput, ProviderProgress } from '../../relay/providers/provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { ERROR_MESSAGES } from '../../shared/errors'
import { PROVIDERS, type ModelOffer } from '../../shared/models'
import { EditRequest, type EditJob, type EditRequestInput } from '../../shared/relay-api'
import { startFakeBflAsync, waitUntilAsync, type FakeBfl, type FakeBflOptions } from '../fakes/bfl-server'
import { makeJpeg, makePng } from '../fakes/make-image'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { requestUrl } from '../support/request-url'

/** Unique per run, so finding it anywhere cannot be a coincidence. */
const KEY = `bfl_${randomUUID()}`

const REF_16x9 = makePng(64, 36, 7)
const REF_2 = makeJpeg(40, 40, 3)
const REF_3 = makePng(30, 60, 5)
/** A 1440×900 frame exported at 2×, as the plugin sends it for FLUX.2 (5.2 MP, over FLUX.2's 4 MP output). */
const FRAME_2X = { width: 2880, height: 1800 }
const REF_FRAME_2X = makePng(FRAME_2X.width, FRAME_2X.height, 9)
const REF_FRAME_1X = makePng(1440, 900, 2)
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

/** Megapixels to 2 decimals, as BFL's submit answer reports and bills them (OpenAPI `AsyncResponse`). */
const mp = (pixels: number): number => Math.round(pixels / 10_000) / 100

/**
 * BFL's FLUX.2 price in USD (black-forest-labs/skills `bfl-api/SKILL.md`: first MP + per-MP × (output
 * MP − 1) + per-MP × input MP, in cents), worked out here apart from the fake's own code.
 */
function flux2Usd(cents: { first: number; perMp: number }, output: { width: number; height: number }, inputPixels: number): number {
  return (cents.first + cents.perMp * (Math.max(0, mp(output.width * output.height) - 1) + mp(inputPixels))) / 100
}

/** The size BFL was asked for, held to the catalogue's FLUX.2 rules on its own (not through the relay's planner). */
function expectFlux2Size(offer: ModelOffer, size: { width: number; height: number }, aspect: { width: number; height: number }): void {
  if (offer.output.kind !== 'free') throw new Error('a FLUX.2 offer has free sizes')
  const { step, minSide, maxSide, maxPixels } = offer.output
  expect(size.width % step).toBe(0)
  expect(size.height % step).toBe(0)
  expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(minSide)
  expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(maxSide)
  expect(size.width * size.height).toBeLessThanOrEqual(maxPixels)
  // At the reference's aspect: each side within one grid step of the exact one at the same area.
  const ratio = aspect.width / aspect.height
  const area = size.width * size.height
  expect(Math.abs(size.width - Math.sqrt(area * ratio))).toBeLessThanOrEqual(step)
  expect(Math.abs(size.height - Math.sqrt(area / ratio))).toBeLessThanOrEqual(step)
}

/** The host contract plus the fake behind it, which the assertions read. */
interface Setup extends HostContract {
  fake: FakeBfl
}

async function setupAsync(fakeOptions: Partial<FakeBflOptions> = {}, env: Record<string, string> = {}): Promise<Setup> {
  const fake = await startFakeBflAsync({ apiKey: KEY, ...fakeOptions })
  const contract = await startHostContractAsync(
    'bfl',
    { BFL_API_KEY: KEY, BFL_API_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...env },
    { closeFakeAsync: () => fake.close(), reference: REF_16x9 }
  )
  return { ...contract, fake }
}

const submitsTo = (fake: FakeBfl) => fake.requests.filter((request) => request.method === 'POST')
const pollsOf = (fake: FakeBfl) => fake.requests.filter((request) => request.path === '/v1/get_result')
const downloadsOf = (fake: FakeBfl) => fake.requests.filter((request) => request.path.includes('/results/'))

async function failedWith(setup: Setup, request: EditRequestInput = { prompt: 'Make it night' }): Promise<EditJob> {
  const job = await setup.editAsync(request)
  expect(job.status).toBe('failed')
  return job
}

// -------------------------------------------------------------------------------------------------
// Through the relay
// -------------------------------------------------------------------------------------------------

describe('BFL through the relay: success', () => {
  it('edits with one variant: submit, poll the returned polling_url on the other host, download the sample', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Make the sky purple' })

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(job.cost).toBe(0.08)
    expect(job.costEstimated).not.toBe(true)
    const image = await setup.imageAsync(job, 0)
    expect(image.type).toBe('image/png')
    // 64×36 is 16:9: BFL's 1 MP bucket for 16:9.
    expect(imageSize(image.bytes)).toMatchObject({ width: 1392, height: 752, type: 'png' })
    expect(setup.fake.submissions()).toBe(1)
    const polls = pollsOf(setup.fake)
    expect(polls.length).toBeGreaterThan(0)
    expect(polls.every((poll) => poll.server === 'region')).toBe(true)
  })

  it('makes four variants as four parallel submissions with seeds seed … seed+3, and sums their cost', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Make the sky purple', numImages: 4, seed: 10 })

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    expect(job.images.map((image) => image.seed).sort()).toEqual([10, 11, 12, 13])
    expect(setup.fake.submissions()).toBe(4)
    expect(submitsTo(setup.fake)).toHaveLength(4)
    expect(setup.fake.accepted.map((task) => task.body.seed).sort()).toEqual([10, 11, 12, 13])
    expect(job.cost).toBe(0.32)
    const bytes = await Promise.all([0, 1, 2, 3].map(async (index) => b64((await setup.imageAsync(job, index)).bytes)))
    expect(new Set(bytes).size).toBe(4)
  })

  it('sends several references as input_image, input_image_2, input_image_3 (raw base64, in order)', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Put the cup on the table' }, [REF_16x9, REF_2, REF_3])

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    const body = setup.fake.accepted[0]!.body
    expect(body.input_image).toBe(b64(REF_16x9))
    expect(body.input_image_2).toBe(b64(REF_2))
    expect(body.input_image_3).toBe(b64(REF_3))
    expect(body).not.toHaveProperty('input_image_4')
  })

  it('sends exactly the documented wire format, field for field (BFL OpenAPI, FluxKontextProInputs)', async () => {
    const setup = await setupAsync()
    const request: EditRequestInput = {
      prompt: 'Make the jacket red',
      aspectRatio: '3:4',
      seed: 7,
      outputFormat: 'jpeg',
      safetyTolerance: 1,
      promptUpsampling: true
    }
    const job = await setup.editAsync(request, [REF_16x9, REF_2])
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')

    const [submit] = submitsTo(setup.fake)
    expect(submit!.server).toBe('api')
    expect(submit!.path).toBe('/v1/flux-kontext-max')
    expect(submit!.headers['x-key']).toBe(KEY)
    expect(submit!.headers['content-type']).toBe('application/json')
    expect(submit!.headers).not.toHaveProperty('authorization')
    expect(submit!.body).toStrictEqual({
      prompt: 'Make the jacket red',
      input_image: b64(REF_16x9),
      input_image_2: b64(REF_2),
      aspect_ratio: '3:4',
      seed: 7,
      output_format: 'jpeg',
      safety_tolerance: 1,
      prompt_upsampling: true
    })
    // Polled at the returned URL, on the other host, with the key; the sample fetched without it.
    const task = setup.fake.accepted[0]!
    for (const poll of pollsOf(setup.fake)) {
      expect(poll).toMatchObject({ server: 'region', method: 'GET', query: { id: task.id } })
      expect(poll.headers['x-key']).toBe(KEY)
    }
    const downloads = downloadsOf(setup.fake)
    expect(downloads).toHaveLength(1)
    expect(downloads[0]!.headers).not.toHaveProperty('x-key')
    const image = await setup.imageAsync(job, 0)
    expect(image.type).toBe('image/jpeg')
    expect(imageSize(image.bytes)).toMatchObject({ width: 880, height: 1184, type: 'jpg' })
  })

  it('fills the fields BFL needs from the offer when the client left them out (Kontext [pro])', async () => {
    const setup = await setupAsync()
    const job = await setup.editAsync({ prompt: 'Make it snow', model: 'kontext-pro', outputFormat: 'webp' })

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    const [submit] = submitsTo(setup.fake)
    expect(submit!.path).toBe('/v1/flux-kontext-pro')
    expect(submit!.body).toStrictEqual({
      prompt: 'Make it snow',
      input_image: b64(REF_16x9),
      aspect_ratio: '16:9',
      output_format: 'webp',
      safety_tolerance: 2,
      prompt_upsampling: false
    })
    expect(job.cost).toBe(0.04)
    expect((await setup.imageAsync(job, 0)).type).toBe('image/webp')
  })

  it('keeps the paid variants when one of two is moderated', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'content-moderated' })
    const job = await setup.editAsync({ prompt: 'Make it night', numImages: 2 })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(job.cost).toBe(0.08)
    expect(setup.fake.submissions()).toBe(2)
    expect(setup.events('provider.variant_failed')).toHaveLength(1)
  })

  it('retries polls that fail on the way (a 503, garbled bodies) and still succeeds', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'poll-status', status: 503, times: 1 })
    const first = await setup.editAsync({ prompt: 'Make it night' })
    setup.fake.failNext({ kind: 'poll-malformed', times: 2 })
    const second = await setup.editAsync({ prompt: 'Make it night' })

    expect(first.status).toBe('succeeded')
    expect(second.status).toBe('succeeded')
    expect(setup.fake.submissions()).toBe(2)
  })
})

describe('BFL through the relay: FLUX.2', () => {
  it("edits with FLUX.2 [flex] at the frame's aspect: width × height within 4 MP, steps and guidance explicit, safety in 0–5, cost from BFL", async () => {
    const setup = await setupAsync()
    const offer = PROVIDERS.bfl.offers['flux2-flex']
    const job = await setup.editAsync({ prompt: 'Set the headline in bold', model: 'flux2-flex', safetyTolerance: 5 }, [REF_FRAME_2X])

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    const [submit] = submitsTo(setup.fake)
    expect(submit!.path).toBe('/v1/flux-2-flex')
    const body = submit!.body as Record<string, unknown>
    const size = { width: body.width as number, height: body.height as number }
    expectFlux2Size(offer, size, FRAME_2X)
    // The reference is over 4 MP: the relay asks for the most the budget allows, not less.
    expect((size.width + 16) * (size.height + 16)).toBeGreaterThan(4_000_000)
    expect(body).toStrictEqual({
      prompt: 'Set the headline in bold',
      input_image: b64(REF_FRAME_2X),
      width: size.width,
      height: size.height,
      output_format: 'png',
      safety_tolerance: 5,
      prompt_upsampling: false,
      steps: offer.steps.default,
      guidance: offer.guidance.default
    })
    // BFL's own defaults, sent although they are BFL's (OpenAPI `Flux2FlexInputs`).
    expect([body.steps, body.guidance]).toEqual([50, 5])

    const image = await setup.imageAsync(job, 0)
    expect(image.type).toBe('image/png')
    expect(imageSize(image.bytes)).toMatchObject({ ...size, type: 'png' })
    // BFL's reported cost, not the catalogue's estimate: [flex] is 5¢ a megapixel, output and input.
    expect(job.costEstimated).not.toBe(true)
    expect(job.cost).toBeCloseTo(flux2Usd({ first: 5, perMp: 5 }, size, FRAME_2X.width * FRAME_2X.height), 6)
    expect(job.cost).toBeCloseTo(setup.fake.accepted[0]!.costCredits / 100, 6)
    expect(setup.events('provider.accepted')[0]).toMatchObject({ outputMp: mp(size.width * size.height), inputMp: 5.18 })
  })

  it("passes the client's steps, guidance and prompt upsampling on [flex]", async () => {
    const setup = await setupAsync()
    const request: EditRequestInput = {
      prompt: 'Make the sign read "OPEN"',
      model: 'flux2-flex',
      steps: 30,
      guidance: 7,
      promptUpsampling: true
    }
    const job = await setup.editAsync(request, [REF_FRAME_1X])

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    expect(submitsTo(setup.fake)[0]!.body).toMatchObject({ steps: 30, guidance: 7, prompt_upsampling: true, safety_tolerance: 2 })
  })

  it('edits with FLUX.2 [pro]: no steps, guidance, prompt_upsampling or aspect_ratio; JPEG; variants priced by BFL', async () => {
    const setup = await setupAsync()
    const offer = PROVIDERS.bfl.offers['flux2-pro']
    const job = await setup.editAsync({ prompt: 'Make it autumn', model: 'flux2-pro', outputFormat: 'jpeg', numImages: 2, seed: 20 }, [
      REF_FRAME_1X,
      REF_2
    ])

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    const submits = submitsTo(setup.fake)
    expect(submits.map((submit) => submit.path)).toEqual(['/v1/flux-2-pro', '/v1/flux-2-pro'])
    const body = submits[0]!.body as Record<string, unknown>
    const size = { width: body.width as number, height: body.height as number }
    expectFlux2Size(offer, size, { width: 1440, height: 900 })
    expect(body).toStrictEqual({
      prompt: 'Make it autumn',
      input_image: b64(REF_FRAME_1X),
      input_image_2: b64(REF_2),
      width: size.width,
      height: size.height,
      seed: body.seed,
      output_format: 'jpeg',
      safety_tolerance: offer.safetyTolerance.default
    })
    expect(setup.fake.accepted.map((task) => task.body.seed).sort()).toEqual([20, 21])
    const image = await setup.imageAsync(job, 1)
    expect(imageSize(image.bytes)).toMatchObject({ ...size, type: 'jpg' })
    // [pro]: 3¢ the first MP, 1.5¢ each further one and each input MP; two tasks.
    const each = flux2Usd({ first: 3, perMp: 1.5 }, size, 1440 * 900 + 40 * 40)
    expect(job.cost).toBeCloseTo(2 * each, 6)
  })

  it('sends eight references to FLUX.2 [max] as input_image … input_image_8', async () => {
    const setup = await setupAsync()
    const references = Array.from({ length: 8 }, (_, index) => makePng(48 + index * 16, 48, index))
    const job = await setup.editAsync({ prompt: 'Line them all up', model: 'flux2-max' }, references)

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    const [submit] = submitsTo(setup.fake)
    expect(submit!.path).toBe('/v1/flux-2-max')
    const body = submit!.body as Record<string, unknown>
    expect(references.map((_, index) => body[index === 0 ? 'input_image' : `input_image_${index + 1}`])).toEqual(references.map(b64))
    expect(body).not.toHaveProperty('input_image_9')
  })

  it.each([
    ['flux2-klein-4b', 'flux-2-klein-4b', { first: 1.4, perMp: 0.1 }],
    ['flux2-klein-9b', 'flux-2-klein-9b', { first: 1.5, perMp: 0.2 }]
  ] as const)('edits with FLUX.2 %s: Flux2Inputs with four references, billed at its own few cents', async (model, path, price) => {
    const setup = await setupAsync()
    const references = Array.from({ length: 4 }, (_, index) => makePng(640, 400, index))
    const job = await setup.editAsync({ prompt: 'Put the four logos in a row', model }, references)

    expect(job.status, JSON.stringify(job.error)).toBe('succeeded')
    const [submit] = submitsTo(setup.fake)
    expect(submit!.path).toBe(`/v1/${path}`)
    const body = submit!.body as Record<string, unknown>
    expect(body).toMatchObject({ width: 640, height: 400, safety_tolerance: 2 })
    expect(body).not.toHaveProperty('steps')
    expect(body).not.toHaveProperty('prompt_upsampling')
    expect(job.cost).toBeCloseTo(flux2Usd(price, { width: 640, height: 400 }, 4 * 640 * 400), 6)
  })
})

describe('BFL through the relay: host refusals', () => {
  it.each([
    ['request-moderated', 'Request Moderated'],
    ['content-moderated', 'Content Moderated']
  ] as const)('maps %s to moderated, with the host text only in the log', async (kind, status) => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind })
    const job = await failedWith(setup)

    expect(job.error).toEqual({ code: 'moderated', message: ERROR_MESSAGES.moderated })
    expect(setup.fake.submissions()).toBe(1)
    const failed = setup.events('job.failed')[0]!
    expect(String(failed.detail)).toContain(status)
  })

  it('maps 402 to insufficient_credit without retrying', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 402 })
    const job = await failedWith(setup)
    expect(job.error?.code).toBe('insufficient_credit')
    expect(submitsTo(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('maps 403 (key lacks access) and a wrong key (401) to provider_not_configured', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 403 })
    expect((await failedWith(setup)).error?.code).toBe('provider_not_configured')

    const wrongKey = await setupAsync({ apiKey: `${KEY}-other` })
    expect((await failedWith(wrongKey)).error?.code).toBe('provider_not_configured')
    expect(submitsTo(wrongKey.fake)).toHaveLength(1)
    expect(wrongKey.fake.submissions()).toBe(0)
  })

  it('retries a 429 (Retry-After: 0) and submits the task once', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    const job = await setup.editAsync({ prompt: 'Make it night' })

    expect(job.status).toBe('succeeded')
    expect(submitsTo(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('gives up after three 429s with rate_limited', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 }, 3)
    const job = await failedWith(setup)
    expect(job.error?.code).toBe('rate_limited')
    expect(submitsTo(setup.fake)).toHaveLength(3)
    expect(setup.fake.submissions()).toBe(0)
  })

  it('retries a 503 refusal, but never a 500 (it may have been accepted)', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 })
    expect((await setup.editAsync({ prompt: 'Make it night' })).status).toBe('succeeded')
    expect(submitsTo(setup.fake)).toHaveLength(2)

    setup.fake.failNext({ kind: 'status', status: 500 })
    expect((await failedWith(setup)).error?.code).toBe('provider_unavailable')
    expect(submitsTo(setup.fake)).toHaveLength(3)
    expect(setup.fake.submissions()).toBe(1)
  })

  it('never resubmits after an ambiguous failure: a garbled 200 or a reset after sending', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'malformed' })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    expect(submitsTo(setup.fake)).toHaveLength(1)
    expect(setup.fake.submissions()).toBe(1)

    setup.fake.failNext({ kind: 'reset-after-accept' })
    expect((await failedWith(setup)).error?.code).toBe('provider_unavailable')
    expect(submitsTo(setup.fake)).toHaveLength(2)
    expect(setup.fake.submissions()).toBe(2)

    setup.fake.failNext({ kind: 'reset' })
    expect((await failedWith(setup)).error?.code).toBe('provider_unavailable')
    expect(submitsTo(setup.fake)).toHaveLength(3)
  })

  it('maps the Error and Task not found statuses to provider_error', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'error' })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    setup.fake.failNext({ kind: 'task-not-found' })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    const details = setup.events('job.failed').map((line) => String(line.detail))
    expect(details[0]).toContain('failed at BFL')
    expect(details[1]).toMatch(/Task not found \(expired or unknown id\)/)
    expect(setup.fake.submissions()).toBe(2)
  })

  it('fails with provider_error after three garbled poll answers in a row', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'poll-malformed', times: 3 })
    const job = await failedWith(setup)
    expect(job.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
    expect(pollsOf(setup.fake)).toHaveLength(3)
  })

  it('fails clearly when the sample URL has expired, or arrives cut off', async () => {
    const setup = await setupAsync()
    setup.fake.failNext({ kind: 'expired-sample' })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    expect(String(setup.events('job.failed')[0]!.detail)).toMatch(/403 \(expired\?\)/)

    setup.fake.failNext({ kind: 'truncated-image' })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    expect(setup.fake.submissions()).toBe(2)
  })

  it('refuses a polling_url or a sample on an origin it must not trust, without a request there', async () => {
    const setup = await setupAsync()
    // Another hostname over plain http: the key must not go there.
    const foreign = setup.fake.regionUrl.replace('127.0.0.1', 'localhost')
    setup.fake.failNext({ kind: 'polling-origin', origin: foreign })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    expect(pollsOf(setup.fake)).toHaveLength(0)

    // A plain-http delivery host other than the configured origin.
    setup.fake.failNext({ kind: 'sample-origin', origin: setup.fake.deliveryUrl })
    expect((await failedWith(setup)).error?.code).toBe('provider_error')
    expect(downloadsOf(setup.fake)).toHaveLength(0)
    expect(setup.events('provider.refused_polling_url')).toHaveLength(1)
  })

  it('times out when BFL never answers the submit, without a second submit', async () => {
    const setup = await setupAsync({}, { PROVIDER_TIMEOUT_SECONDS: '1' })
    setup.fake.failNext({ kind: 'hang' })
    const job = await failedWith(setup)
    expect(job.error?.code).toBe('timeout')
    expect(submitsTo(setup.fake)).toHaveLength(1)
  })

  it('times out when the task stays Pending', async () => {
    const setup = await setupAsync({}, { PROVIDER_TIMEOUT_SECONDS: '1' })
    setup.fake.failNext({ kind: 'pending-forever' })
    const job = await failedWith(setup)
    expect(job.error?.code).toBe('timeout')
    expect(setup.fake.submissions()).toBe(1)
  })

  it('cancels: the edit is canceled for the client at once; BFL has no cancel endpoint, so the relay keeps following the task it is billed for and keeps its image', async () => {
    const setup = await setupAsync({ latencyMs: 1_500 })
    const id = await setup.createAsync({ prompt: 'Make it night' })
    await waitUntilAsync(() => pollsOf(setup.fake).length > 0, 'the first poll')

    const canceled = await setup.cancelAsync(id)
    expect(canceled.status).toBe('canceled')
    expect(canceled.error?.code).toBe('canceled')
    const pollsAtCancel = pollsOf(setup.fake).length
    await setup.relay.relay.jobs.settleAsync()
    expect(pollsOf(setup.fake).length).toBeGreaterThan(pollsAtCancel)
    // Only submits, polls and the sample download ever reached BFL: there is nothing to cancel with.
    expect(setup.fake.requests.some((request) => /cancel/i.test(request.path))).toBe(false)
    expect(setup.fake.submissions()).toBe(1)
    const ended = await setup.endAsync(id)
    expect(ended.status).toBe('canceled')
    expect(ended.images).toHaveLength(1)
  })
})

// -------------------------------------------------------------------------------------------------
// The adapter on its own
// -------------------------------------------------------------------------------------------------

interface Direct {
  provider: ReturnType<typeof createBflProvider>
  sleeps: number[]
  fetched: string[]
  progress: ProviderProgress[]
  input(overrides?: Partial<ProviderEditInput> & { requestInput?: EditRequestInput }): ProviderEditInput
}

function hostConfig(url: string): HostConfig {
  return { enabled: true, key: KEY, url, settings: {}, offerOverrides: {} }
}

function direct(url: string, fetchImpl: typeof fetch = fetch): Direct {
  const sleeps: number[] = []
  const fetched: string[] = []
  const progress: ProviderProgress[] = []
  const deps: ProviderDeps = {
    fetch: (resource, init) => {
      fetched.push(requestUrl(resource))
      return fetchImpl(resource, init)
    },
    // Short but real, abortable waits: the back-off is recorded, not slept.
    sleepAsync: (ms, signal) => {
      sleeps.push(ms)
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        const timer = setTimeout(resolve, 2)
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true })
      })
    },
    randomUUID: () => randomUUID(),
    now: () => Date.now(),
    log: (event, fields) => contractTranscript.logs.push(JSON.stringify({ event, ...fields }))
  }
  return {
    provider: createBflProvider(hostConfig(url), deps),
    sleeps,
    fetched,
    progress,
    input: ({ requestInput, ...overrides } = {}) => ({
      request: EditRequest.parse({ prompt: 'Make the sky purple', ...requestInput }),
      model: 'kontext-max',
      offer: PROVIDERS.bfl.offers['kontext-max'],
      size: KONTEXT_SIZES[1],
      aspectRatio: '16:9',
      references: [{ bytes: REF_16x9, contentType: 'image/png', width: 64, height: 36 }],
      signal: AbortSignal.timeout(5000),
      onProgress: (state) => progress.push(state),
      ...overrides
    })
  }
}

async function fakeAsync(options: Omit<FakeBflOptions, 'apiKey'> = {}): Promise<FakeBfl> {
  const fake = await startFakeBflAsync({ apiKey: KEY, ...options })
  onTestFinished(() => fake.close())
  return fake
}

describe('BFL adapter on its own', () => {
  it('waits as long as Retry-After says, else backs off 1 s then 2 s, and stops after three submits', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 7 })
    const first = direct(fake.url)
    await first.provider.editAsync(first.input())
    expect(first.sleeps.slice(0, 1)).toEqual([7000])

    fake.failNext({ kind: 'status', status: 503 }, 3)
    const second = direct(fake.url)
    await expect(second.provider.editAsync(second.input())).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(second.sleeps).toEqual([1000, 2000])
    expect(fake.submissions()).toBe(1)
  })

  it('retries a submit that never reached BFL (connection refused) and reports provider_unavailable', async () => {
    const fake = await fakeAsync()
    const closedUrl = fake.url
    await fake.close()
    const adapter = direct(closedUrl)
    await expect(adapter.provider.editAsync(adapter.input())).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(adapter.fetched).toHaveLength(3)
    expect(adapter.sleeps).toEqual([1000, 2000])
  })

  it('maps a 422 (FastAPI detail[]) to provider_error without retrying, with the fields in the detail', async () => {
    // A BFL that caps safety_tolerance at 2 with an input image (as Replicate and ComfyUI's BFL node
    // read it; BFL's OpenAPI says 0–6) refuses the offer's default: the relay's bug, not the designer's.
    const fake = await fakeAsync({ imageSafetyMax: 2 })
    const offer: ModelOffer = { ...PROVIDERS.bfl.offers['kontext-max'], safetyTolerance: { min: 0, max: 6, default: 5 } }
    const adapter = direct(fake.url)
    const error = await adapter.provider.editAsync(adapter.input({ offer })).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
    expect((error as { detail: string }).detail).toMatch(/422.*safety_tolerance/)
    expect(adapter.fetched).toHaveLength(1)
    expect(adapter.sleeps).toEqual([])
  })

  it('reports progress: queued after the submit, then running fractions while Pending', async () => {
    const fake = await fakeAsync({ latencyMs: 150 })
    const adapter = direct(fake.url)
    await adapter.provider.editAsync(adapter.input())
    expect(adapter.progress[0]).toEqual({ status: 'queued' })
    const running = adapter.progress.filter((state) => state.status === 'running')
    expect(running.length).toBeGreaterThan(0)
    expect(running.every((state) => state.fraction !== undefined && state.fraction >= 0 && state.fraction <= 1)).toBe(true)
    // Never backwards; the end itself is the result, not a last progress report (run-variants-async).
    const fractions = running.map((state) => state.fraction ?? 0)
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b))
    expect(fractions.at(-1)).toBeGreaterThan(0)
  })

  it('rethrows the abort reason when the signal aborts while polling', async () => {
    const fake = await fakeAsync()
    fake.failNext({ kind: 'pending-forever' })
    const adapter = direct(fake.url)
    const controller = new AbortController()
    const reason = new Error('client canceled')
    const outcome = adapter.provider.editAsync(adapter.input({ signal: controller.signal }))
    await waitUntilAsync(() => pollsOf(fake).length >= 2, 'two polls')
    controller.abort(reason)
    await expect(outcome).rejects.toBe(reason)
  })

  it('works with a model added to the catalogue, without touching the adapter (a further Kontext path)', async () => {
    const fake = await fakeAsync({
      models: ['flux-kontext-max', 'flux-kontext-pro', 'flux-kontext-next'],
      costs: { 'flux-kontext-next': 5 }
    })
    const offer: ModelOffer = { ...PROVIDERS.bfl.offers['kontext-max'], hostModelId: 'flux-kontext-next' }
    const adapter = direct(fake.url)
    const result = await adapter.provider.editAsync(adapter.input({ offer }))

    expect(result.images).toHaveLength(1)
    expect(result.costUsd).toBe(0.05)
    expect(typeof result.images[0]!.seed).toBe('number')
    expect(fake.accepted[0]!.model).toBe('flux-kontext-next')
    expect(submitsTo(fake)[0]!.path).toBe('/v1/flux-kontext-next')
  })

  it.each([
    // A FLUX.2 path under a Kontext schema sends aspect_ratio, which Flux2FlexInputs lacks…
    ['flux2-flex', 'kontext', 'aspect_ratio'],
    // …and a Kontext path under FLUX.2's sends width, which FluxKontextProInputs lacks.
    ['kontext-max', 'flux2', 'width']
  ] as const)('picks the body by offer.schema: %s under the %s schema is refused for %s (422, no retry)', async (model, schema, field) => {
    const fake = await fakeAsync()
    const offer: ModelOffer = { ...PROVIDERS.bfl.offers[model], schema }
    const adapter = direct(fake.url)
    const error = await adapter.provider.editAsync(adapter.input({ offer })).catch((caught: unknown) => caught)

    expect(error).toMatchObject({ code: 'provider_error' })
    expect((error as { detail: string }).detail).toMatch(new RegExp(`422.*${field}`))
    expect(submitsTo(fake)[0]!.path).toBe(`/v1/${offer.hostModelId}`)
    expect(adapter.fetched).toHaveLength(1)
    expect(fake.submissions()).toBe(0)
  })

  it('follows production-shaped hosts: https polling on another bfl cluster, https delivery elsewhere without the key', async () => {
    const fake = await fakeAsync({
      deliveryOn: 'delivery',
      publicRegionOrigin: 'https://api.us1.bfl.test',
      publicDeliveryOrigin: 'https://delivery-us1.blob.test'
    })
    // Stands in for DNS and TLS: routes the public https names to the fake's three servers.
    const routes: Record<string, string> = {
      'https://api.bfl.test': fake.url,
      'https://api.us1.bfl.test': fake.regionUrl,
      'https://delivery-us1.blob.test': fake.deliveryUrl
    }
    const routed: typeof fetch = (resource, init) => {
      const url = new URL(requestUrl(resource))
      const target = routes[url.origin]
      if (target === undefined) return Promise.reject(new TypeError(`no route to ${url.origin}`))
      return fetch(`${target}${url.pathname}${url.search}`, init)
    }
    const adapter = direct('https://api.bfl.test', routed)
    const result = await adapter.provider.editAsync(adapter.input())

    expect(result.images).toHaveLength(1)
    expect(adapter.fetched[0]).toBe('https://api.bfl.test/v1/flux-kontext-max')
    expect(adapter.fetched.slice(1, -1).every((url) => url.startsWith('https://api.us1.bfl.test/v1/get_result?id='))).toBe(true)
    expect(adapter.fetched.at(-1)).toMatch(/^https:\/\/delivery-us1\.blob\.test\/results\//)
    expect(pollsOf(fake).every((poll) => poll.headers['x-key'] === KEY)).toBe(true)
    expect(downloadsOf(fake)[0]!.headers).not.toHaveProperty('x-key')

    fake.failNext({ kind: 'polling-origin', origin: 'https://api.bfl.test.evil.example' })
    const refused = direct('https://api.bfl.test', routed)
    await expect(refused.provider.editAsync(refused.input())).rejects.toMatchObject({ code: 'provider_error' })
    expect(refused.fetched.filter((url) => url.includes('evil'))).toEqual([])
  })

  it('sends the key only to the configured origin, https hosts of its registrable domain, or its own hostname', () => {
    const allowed = (url: string, base: string): boolean => mayReceiveBflKey(new URL(url), base)
    expect(allowed('https://api.bfl.ai/v1/get_result?id=1', 'https://api.bfl.ai')).toBe(true)
    expect(allowed('https://api.us1.bfl.ai/v1/get_result?id=1', 'https://api.bfl.ai')).toBe(true)
    expect(allowed('https://api.eu1.bfl.ai/v1/get_result?id=1', 'https://api.eu.bfl.ai')).toBe(true)
    expect(allowed('http://api.us1.bfl.ai/v1/get_result?id=1', 'https://api.bfl.ai')).toBe(false)
    expect(allowed('https://bfl.ai.evil.com/v1/get_result', 'https://api.bfl.ai')).toBe(false)
    expect(allowed('https://evilbfl.ai/v1/get_result', 'https://api.bfl.ai')).toBe(false)
    expect(allowed('https://user:pw@api.us1.bfl.ai/v1/get_result', 'https://api.bfl.ai')).toBe(false)
    expect(allowed('https://other.co.uk/x', 'https://proxy.example.co.uk')).toBe(false)
    expect(allowed('https://a.example.co.uk/x', 'https://proxy.example.co.uk')).toBe(true)
    expect(allowed('http://127.0.0.1:4001/v1/get_result', 'http://127.0.0.1:4000')).toBe(true)
    expect(allowed('http://localhost:4001/v1/get_result', 'http://127.0.0.1:4000')).toBe(false)
    expect(allowed('http://127.0.0.2:4000/v1/get_result', 'http://127.0.0.1:4000')).toBe(false)
    expect(allowed('ftp://127.0.0.1:4000/x', 'http://127.0.0.1:4000')).toBe(false)
  })

  it('builds the body from the offer: no safety_tolerance or prompt_upsampling where the offer has none', () => {
    const adapter = direct('https://api.bfl.ai')
    const offer: ModelOffer = { ...PROVIDERS.bfl.offers['kontext-max'], safetyTolerance: null, promptUpsampling: false }
    const body = buildBflBody(adapter.input({ offer }), undefined)
    expect(Object.keys(body).sort()).toEqual(['aspect_ratio', 'input_image', 'output_format', 'prompt'])
  })

  it('builds the FLUX.2 [flex] body from the request and the offer: the planned size, steps and guidance, no aspect_ratio', () => {
    const adapter = direct('https://api.bfl.ai')
    const input = adapter.input({
      model: 'flux2-flex',
      offer: PROVIDERS.bfl.offers['flux2-flex'],
      size: { width: 1440, height: 896 },
      requestInput: { prompt: 'Make it red', model: 'flux2-flex', steps: 28, guidance: 7.5, safetyTolerance: 0, promptUpsampling: true }
    })
    expect(buildBflBody(input, 9)).toStrictEqual({
      prompt: 'Make it red',
      input_image: b64(REF_16x9),
      width: 1440,
      height: 896,
      seed: 9,
      output_format: 'png',
      safety_tolerance: 0,
      prompt_upsampling: true,
      steps: 28,
      guidance: 7.5
    })
  })

  it('never puts the key in a relay response or log line', () => {
    // Runs after the tests above in this file (vitest keeps declaration order).
    expect(contractTranscript.responses.length).toBeGreaterThan(10)
    expect(contractTranscript.logs.length).toBeGreaterThan(10)
    expectKeyKeptOut(KEY)
  })
})

afterAll(() => {
  expect([...contractTranscript.responses, ...contractTranscript.logs].filter((text) => text.includes(KEY))).toEqual([])
})
