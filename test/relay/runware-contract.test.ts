/**
 * Runware's contract, in one file, in three layers:
 *
 * 1. Through the real relay over real HTTP (test/support/host-contract.ts), against the strict
 *    fake (test/fakes/runware-server.ts), with multipart requests like the plugin sends. Each test
 *    follows the edit to its end with `GET /v1/edits/{id}?wait=10` and checks what the fake was
 *    sent (field for field against docs/hosts.md, "Runware") and how many tasks it billed: never
 *    two for one edit. Each test has its own fake and relay, so the tests of a block run
 *    concurrently (most of their time is the adapter's real poll and back-off sleeps).
 * 2. Through a relay built in-process (test/relay/relay-harness.ts, Hono's `app.request`): the
 *    task on the wire, Runware's failures as relay codes, and retries that never pay twice.
 * 3. The adapter on its own, with an instant, recording `sleepAsync` (how long it waits between
 *    submissions and when it gives up, without the real 1 s / 2 s back-off), and the POST body
 *    built as bytes (relay/providers/runware/build-runware-body.ts).
 *
 * The two `secrets` tests at the end check that no key reached a response or a relay log line.
 */
import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest'
import { parseRelayConfig, type RelayConfig } from '../../relay/config'
import { base64Length, writeBase64Into } from '../../relay/images/write-base64-into'
import type { ProviderDeps, ProviderEditInput } from '../../relay/providers/provider'
import { buildRunwareBody, buildRunwareTask, type RunwareCall } from '../../relay/providers/runware/build-runware-body'
import { createRunwareProvider } from '../../relay/providers/runware/runware-provider'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../shared/errors'
import { offerOf, type ModelId } from '../../shared/models'
import { EditJob, EditRequest, TERMINAL_STATUSES } from '../../shared/relay-api'
import { makeJpeg, makePng } from '../fakes/make-image'
import { startFakeRunwareAsync, type FakeRunware, type FakeRunwareOptions, type RunwareFault } from '../fakes/runware-server'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { TEST_TOKEN } from '../support/start-relay-async'
import {
  API_KEY,
  DEFAULT_REQUEST,
  editForm,
  itKeepsSecretsOutOfResponsesAndLogs,
  polls,
  REFERENCE_PNG,
  startRelayHarnessAsync,
  submissions,
  transcript
} from './relay-harness'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const PROMPT = 'Make the sky purple, keep everything else'

function dataUri(bytes: Uint8Array, type = 'image/png'): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`
}

/** The whole task of a default request (one Kontext [max] image, the 16:9 REFERENCE_PNG), field for field. */
const DEFAULT_TASK = {
  taskType: 'imageInference',
  taskUUID: expect.stringMatching(UUID_V4),
  model: 'bfl:4@1',
  positivePrompt: PROMPT,
  inputs: { referenceImages: [dataUri(REFERENCE_PNG)] },
  width: 1392,
  height: 752,
  numberResults: 1,
  outputType: 'base64Data',
  outputFormat: 'PNG',
  includeCost: true,
  providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 2 } }
}

// ---------------------------------------------------------------------------------------------
// Layer 1: the real relay over real HTTP
// ---------------------------------------------------------------------------------------------

/** Unique per run, so finding it anywhere cannot be a coincidence. */
const KEY = `rw-contract-secret-${randomUUID()}`
/** The key a relay is given in the test where Runware refuses it; it must not leak either. */
const WRONG_KEY = 'rw-wrong-key-0123456789'

/** The host contract plus the fake behind it, which the assertions read. */
interface Setup extends HostContract {
  fake: FakeRunware
}

/** Each test has its own fake and relay, so the tests of a `describe.concurrent` block run side by side. */
async function setupAsync(
  context: TestContext,
  options: {
    env?: Record<string, string>
    fake?: Omit<FakeRunwareOptions, 'apiKey'>
    config?: (base: RelayConfig) => Partial<RelayConfig>
  } = {}
): Promise<Setup> {
  const fake = await startFakeRunwareAsync({ apiKey: KEY, ...options.fake })
  const env = { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...options.env }
  const overrides = options.config?.(parseRelayConfig({ RELAY_TOKENS: TEST_TOKEN, ...env }))
  const contract = await startHostContractAsync('runware', env, { closeFakeAsync: () => fake.close(), overrides, context })
  return { ...contract, fake }
}

/** `endAsync` that also records the progress of every running answer (the session's wait does not expose them). */
async function endWithProgressAsync(setup: Setup, id: string, progress: number[]): Promise<EditJob> {
  for (let poll = 0; poll < 40; poll += 1) {
    const response = await setup.session.authedAsync(`/v1/edits/${id}?wait=10`)
    expect(response.status).toBe(200)
    const job = EditJob.parse(await response.json())
    if (job.status === 'running' && job.progress !== undefined) progress.push(job.progress)
    if (TERMINAL_STATUSES.includes(job.status)) return job
  }
  throw new Error(`edit ${id} did not finish`)
}

function expectBilledOnce(fake: FakeRunware): void {
  expect(fake.accepted).toHaveLength(1)
  expect(fake.duplicateSubmissions).toBe(0)
}

// ---------------------------------------------------------------------------------------------
// Layer 3's setup: the adapter on its own
// ---------------------------------------------------------------------------------------------

interface AdapterHarness {
  provider: ReturnType<typeof createRunwareProvider>
  sleeps: number[]
  fetchCalls: () => number
}

function adapter(apiUrl: string, fetchImpl: typeof fetch = fetch, settings: Record<string, string> = {}): AdapterHarness {
  const sleeps: number[] = []
  let calls = 0
  const deps: ProviderDeps = {
    fetch: (input, init) => {
      calls += 1
      return fetchImpl(input, init)
    },
    // Instant, but still asynchronous and still abortable, like the real one.
    sleepAsync: (ms, signal) => {
      sleeps.push(ms)
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        setImmediate(resolve)
      })
    },
    randomUUID: () => randomUUID(),
    now: () => Date.now(),
    log: (event, fields) => transcript.logs.push(`${event} ${JSON.stringify(fields)}`)
  }
  return {
    provider: createRunwareProvider({ enabled: true, key: API_KEY, url: apiUrl, settings, offerOverrides: {} }, deps),
    sleeps,
    fetchCalls: () => calls
  }
}

function editInput(
  options: { signal?: AbortSignal; model?: ModelId; request?: unknown; references?: ProviderEditInput['references'] } = {}
): ProviderEditInput {
  const model = options.model ?? 'kontext-max'
  return {
    request: EditRequest.parse(options.request ?? { prompt: 'Make the sky purple' }),
    model,
    offer: offerOf('runware', model)!,
    size: KONTEXT_SIZES[1],
    aspectRatio: '16:9',
    references: options.references ?? [{ bytes: REFERENCE_PNG, contentType: 'image/png', width: 64, height: 36 }],
    signal: options.signal ?? new AbortController().signal,
    onProgress: () => undefined
  }
}

async function startFakeAsync(): Promise<FakeRunware> {
  const fake = await startFakeRunwareAsync({ apiKey: API_KEY })
  onTestFinished(() => fake.close())
  return fake
}

function bytesOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = seed >>> 0
  for (let index = 0; index < length; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    bytes[index] = state >>> 24
  }
  return bytes
}

// ---------------------------------------------------------------------------------------------
// Layer 1 tests
// ---------------------------------------------------------------------------------------------

describe.concurrent('success', () => {
  it('one variant of Kontext [max]: one sync round trip with exactly the documented task', async (context) => {
    const setup = await setupAsync(context)
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job).toMatchObject({ status: 'succeeded', provider: 'runware', model: 'kontext-max', cost: 0.08 })
    expect(job.costEstimated).not.toBe(true)
    const [request] = setup.fake.requests
    expect(setup.fake.requests).toHaveLength(1)
    expect(request).toMatchObject({ method: 'POST', path: '/v1' })
    expect(request!.headers.authorization).toBe(`Bearer ${setup.fake.apiKey}`)
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(request!.body).toEqual([DEFAULT_TASK])
    const image = await setup.imageAsync(job, 0)
    expect(image.type).toBe('image/png')
    expect(imageSize(image.bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })
    expectBilledOnce(setup.fake)
  })

  it('four variants of Kontext [pro]: one async task, polled with getResponse, four different images, cost summed', async (context) => {
    const setup = await setupAsync(context, { fake: { latencyMs: 200 } })
    const job = await setup.editAsync({
      prompt: PROMPT,
      model: 'kontext-pro',
      numImages: 4,
      seed: 10,
      aspectRatio: '1:1',
      safetyTolerance: 4,
      promptUpsampling: true
    })

    expect(job.status).toBe('succeeded')
    expect(job.images.map((image) => image.seed)).toEqual([10, 11, 12, 13])
    expect(job.cost).toBeCloseTo(0.16, 6)
    const [task] = submissions(setup.fake)
    expect(task).toEqual({
      taskType: 'imageInference',
      taskUUID: expect.stringMatching(UUID_V4),
      model: 'bfl:3@1',
      positivePrompt: PROMPT,
      inputs: { referenceImages: [dataUri(REFERENCE_PNG)] },
      width: 1024,
      height: 1024,
      numberResults: 4,
      seed: 10,
      outputType: 'base64Data',
      outputFormat: 'PNG',
      includeCost: true,
      deliveryMethod: 'async',
      providerSettings: { bfl: { promptUpsampling: true, safetyTolerance: 4 } }
    })
    const sentPolls = polls(setup.fake)
    expect(sentPolls.length).toBeGreaterThanOrEqual(1)
    for (const poll of sentPolls) expect(poll).toEqual({ taskType: 'getResponse', taskUUID: task!.taskUUID })
    const images = await Promise.all(job.images.map((_, index) => setup.imageAsync(job, index)))
    expect(new Set(images.map((image) => Buffer.from(image.bytes).toString('base64'))).size).toBe(4)
    expect(submissions(setup.fake)).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it('two references go in inputs.referenceImages; the first one sets the size', async (context) => {
    const setup = await setupAsync(context)
    const portrait = makePng(36, 64, 1)
    const jpegLandscape = makeJpeg(64, 36, 2)
    const job = await setup.editAsync({ prompt: PROMPT }, [portrait, jpegLandscape])

    expect(job.status).toBe('succeeded')
    expect(submissions(setup.fake)[0]).toMatchObject({
      inputs: { referenceImages: [dataUri(portrait), `data:image/jpeg;base64,${Buffer.from(jpegLandscape).toString('base64')}`] },
      width: 752,
      height: 1392
    })
    expectBilledOnce(setup.fake)
  })

  it('Kontext [dev]: runware:106@1 with steps and CFGScale, no BFL settings, a dev size, async', async (context) => {
    const setup = await setupAsync(context)
    const wide = makePng(80, 40, 3)
    const job = await setup.editAsync({ prompt: PROMPT, model: 'kontext-dev', steps: 20, guidance: 3.5, seed: 5 }, [wide])

    expect(job).toMatchObject({ status: 'succeeded', model: 'kontext-dev', cost: 0.0105 })
    expect(job.images[0]).toMatchObject({ width: 1456, height: 720 })
    const [task] = submissions(setup.fake)
    expect(task).toEqual({
      taskType: 'imageInference',
      taskUUID: expect.stringMatching(UUID_V4),
      model: 'runware:106@1',
      positivePrompt: PROMPT,
      inputs: { referenceImages: [dataUri(wide)] },
      width: 1456,
      height: 720,
      numberResults: 1,
      seed: 5,
      steps: 20,
      CFGScale: 3.5,
      outputType: 'base64Data',
      outputFormat: 'PNG',
      includeCost: true,
      deliveryMethod: 'async'
    })
    expect(polls(setup.fake).length).toBeGreaterThanOrEqual(1)
    expectBilledOnce(setup.fake)
  })

  it('Kontext [dev] without steps or guidance sends the offer’s defaults', async (context) => {
    const setup = await setupAsync(context)
    await setup.editAsync({ prompt: PROMPT, model: 'kontext-dev' })
    expect(submissions(setup.fake)[0]).toMatchObject({ steps: 28, CFGScale: 2.5 })
    expect(submissions(setup.fake)[0]).not.toHaveProperty('providerSettings')
  })

  it('WEBP at an outputQuality: sent as WEBP and the quality, served as a WebP that decodes', async (context) => {
    const setup = await setupAsync(context)
    const job = await setup.editAsync({ prompt: PROMPT, outputFormat: 'webp', outputQuality: 70 })

    expect(submissions(setup.fake)[0]).toMatchObject({ outputFormat: 'WEBP', outputQuality: 70 })
    expect(job.images[0]).toMatchObject({ contentType: 'image/webp', width: 1392, height: 752 })
    const image = await setup.imageAsync(job, 0)
    expect(image.type).toBe('image/webp')
    expect(imageSize(image.bytes)).toMatchObject({ type: 'webp', width: 1392, height: 752 })
  })

  // Two seconds of host work: room for several polls with progress even on a loaded two-core machine.
  it('RUNWARE_DELIVERY=async makes even one Kontext [max] image async, and the job shows progress', async (context) => {
    const setup = await setupAsync(context, { env: { RUNWARE_DELIVERY: 'async' }, fake: { latencyMs: 2000 } })
    const progress: number[] = []
    const id = await setup.createAsync({ prompt: PROMPT })
    const job = await endWithProgressAsync(setup, id, progress)

    expect(job.status).toBe('succeeded')
    expect(job.progress).toBeUndefined()
    expect(progress.length).toBeGreaterThan(0)
    expect(progress).toEqual([...progress].sort())
    for (const value of progress) expect(value).toBeLessThan(1)
    expect(submissions(setup.fake)[0]).toMatchObject({ deliveryMethod: 'async', numberResults: 1 })
    expect(polls(setup.fake).length).toBeGreaterThanOrEqual(2)
    expectBilledOnce(setup.fake)
  })

  it('makes one task per variant when the offer says one per call (data, not model ids), with consecutive seeds', async (context) => {
    const setup = await setupAsync(context, {
      config: (base) => ({
        hosts: { ...base.hosts, runware: { ...base.hosts.runware, offerOverrides: { 'kontext-max': { variantsPerCall: 1 } } } }
      })
    })
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 3, seed: 40 })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(3)
    expect(job.cost).toBeCloseTo(0.24, 6)
    const sent = submissions(setup.fake)
    expect(sent.map((task) => [task.numberResults, task.seed]).sort()).toEqual([
      [1, 40],
      [1, 41],
      [1, 42]
    ])
    expect(new Set(sent.map((task) => task.taskUUID)).size).toBe(3)
    expect(setup.fake.accepted).toHaveLength(3)
    expect(setup.fake.duplicateSubmissions).toBe(0)
  })
})

describe.concurrent('FLUX.2', () => {
  /** A 1440×900 frame exported at 2×, as the plugin sends a FLUX.2 reference; made once, on first use. */
  let frameAt2x: Uint8Array | undefined
  const frame = (): Uint8Array => (frameAt2x ??= makePng(2880, 1800, 9))

  it('[flex] at the frame’s aspect: the largest size the catalogue allows, with steps, CFGScale and safety (0–5) always sent', async (context) => {
    const setup = await setupAsync(context)
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-flex', steps: 30, guidance: 4, safetyTolerance: 5, seed: 11 }, [
      frame()
    ])

    expect(job).toMatchObject({ status: 'succeeded', provider: 'runware', model: 'flux2-flex', cost: 0.06 })
    const [task] = submissions(setup.fake)
    expect(task).toEqual({
      taskType: 'imageInference',
      taskUUID: expect.stringMatching(UUID_V4),
      model: 'bfl:6@1',
      positivePrompt: PROMPT,
      inputs: { referenceImages: [dataUri(frame())] },
      width: expect.any(Number),
      height: expect.any(Number),
      numberResults: 1,
      seed: 11,
      steps: 30,
      CFGScale: 4,
      outputType: 'base64Data',
      outputFormat: 'PNG',
      includeCost: true,
      // A stepped model goes async (choose-delivery.ts).
      deliveryMethod: 'async',
      providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 5 } }
    })
    // On the offer's grid, within its budget and sides, at 16:10 within one grid step: here Runware's longest side.
    const { output } = offerOf('runware', 'flux2-flex')!
    if (output.kind !== 'free') throw new Error('FLUX.2 offers free sizes')
    const { width, height } = task as { width: number; height: number }
    expect(width * height).toBeLessThanOrEqual(output.maxPixels)
    for (const side of [width, height]) {
      expect(side % output.step).toBe(0)
      expect(side).toBeGreaterThanOrEqual(output.minSide)
      expect(side).toBeLessThanOrEqual(output.maxSide)
    }
    expect(Math.abs(width - height * (2880 / 1800))).toBeLessThanOrEqual(output.step)
    expect({ width, height }).toEqual({ width: 2048, height: 1280 })
    expect(job.images[0]).toMatchObject({ width, height, contentType: 'image/png' })
    expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', width, height })
    expectBilledOnce(setup.fake)
  })

  it('[flex] without steps or guidance sends the offer’s defaults, and safety’s', async (context) => {
    const setup = await setupAsync(context)
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-flex' }, [frame()])

    expect(job.status).toBe('succeeded')
    const offer = offerOf('runware', 'flux2-flex')!
    expect(submissions(setup.fake)[0]).toMatchObject({
      steps: offer.steps!.default,
      CFGScale: offer.guidance!.default,
      providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: offer.safetyTolerance!.default } }
    })
  })

  it('[pro]: no steps or CFGScale, safety without promptUpsampling, one task per variant as the offer says', async (context) => {
    const setup = await setupAsync(context)
    const reference = makePng(1440, 900, 4)
    const job = await setup.editAsync(
      { prompt: PROMPT, model: 'flux2-pro', numImages: 2, seed: 20, safetyTolerance: 3, outputFormat: 'jpeg' },
      [reference]
    )

    expect(job).toMatchObject({ status: 'succeeded', model: 'flux2-pro' })
    expect(job.cost).toBeCloseTo(0.06, 6)
    expect(offerOf('runware', 'flux2-pro')!.variantsPerCall).toBe(1)
    const sent = submissions(setup.fake).sort((a, b) => Number(a.seed) - Number(b.seed))
    expect(sent).toEqual(
      [20, 21].map((seed) => ({
        taskType: 'imageInference',
        taskUUID: expect.stringMatching(UUID_V4),
        model: 'bfl:5@1',
        positivePrompt: PROMPT,
        inputs: { referenceImages: [dataUri(reference)] },
        width: 1440,
        height: 896,
        numberResults: 1,
        seed,
        outputType: 'base64Data',
        outputFormat: 'JPG',
        includeCost: true,
        deliveryMethod: 'async',
        providerSettings: { bfl: { safetyTolerance: 3 } }
      }))
    )
    expect(new Set(sent.map((task) => task.taskUUID)).size).toBe(2)
    for (const image of job.images) expect(image).toMatchObject({ width: 1440, height: 896, contentType: 'image/jpeg' })
    expect(setup.fake.accepted).toHaveLength(2)
    expect(setup.fake.duplicateSubmissions).toBe(0)
  })

  it('the fake refuses a Kontext-only field on FLUX.2: an offer claiming promptUpsampling on [pro] fails the edit, unbilled', async (context) => {
    const setup = await setupAsync(context, {
      config: (base) => ({
        hosts: { ...base.hosts, runware: { ...base.hosts.runware, offerOverrides: { 'flux2-pro': { promptUpsampling: true } } } }
      })
    })
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-pro' }, [makePng(1440, 900, 4)])

    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('provider_error')
    expect(submissions(setup.fake)[0]).toMatchObject({ providerSettings: { bfl: { promptUpsampling: false } } })
    expect(setup.logText()).toMatch(/invalidProviderSettings/)
    expect(setup.fake.accepted).toHaveLength(0)
  })
})

describe.concurrent('FLUX.2 [klein]', () => {
  /** A 1440×900 frame exported at 2×, as the plugin sends a FLUX.2 reference; made once, on first use. */
  let frameAt2x: Uint8Array | undefined
  const frame = (): Uint8Array => (frameAt2x ??= makePng(2880, 1800, 9))

  it('4B at the frame’s aspect: runware:400@4 with steps and CFGScale, no providerSettings, one sync round trip, Runware’s cost', async (context) => {
    const setup = await setupAsync(context)
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-4b', steps: 6, guidance: 2, seed: 11 }, [frame()])

    // Runware's own figure (the fake's $0.0006), not the catalogue's estimate.
    expect(job).toMatchObject({ status: 'succeeded', provider: 'runware', model: 'flux2-klein-4b', cost: 0.0006 })
    expect(submissions(setup.fake)).toEqual([
      {
        taskType: 'imageInference',
        taskUUID: expect.stringMatching(UUID_V4),
        model: 'runware:400@4',
        positivePrompt: PROMPT,
        inputs: { referenceImages: [dataUri(frame())] },
        // 16:10 on the ×16 grid at Runware's longest side, 2.6 MP: within the 4 MP every FLUX.2 offer keeps to.
        width: 2048,
        height: 1280,
        numberResults: 1,
        seed: 11,
        steps: 6,
        CFGScale: 2,
        outputType: 'base64Data',
        outputFormat: 'PNG',
        includeCost: true
      }
    ])
    expect(polls(setup.fake)).toHaveLength(0)
    expect(job.images[0]).toMatchObject({ width: 2048, height: 1280, contentType: 'image/png' })
    expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', width: 2048, height: 1280 })
    expectBilledOnce(setup.fake)
  })

  it('9B, two variants of a 1440×900 reference: one runware:400@2 task of two results, the offer’s steps and CFGScale, async', async (context) => {
    const setup = await setupAsync(context)
    const reference = makePng(1440, 900, 4)
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-9b', numImages: 2, seed: 20, outputFormat: 'webp' }, [
      reference
    ])

    expect(job).toMatchObject({ status: 'succeeded', model: 'flux2-klein-9b' })
    // Two results at the fake's $0.00078 each, as Runware reports them.
    expect(job.cost).toBeCloseTo(0.00156, 6)
    const offer = offerOf('runware', 'flux2-klein-9b')!
    expect(offer).toMatchObject({ steps: { default: 4 }, guidance: { default: 3.5 }, variantsPerCall: 4 })
    expect(submissions(setup.fake)).toEqual([
      {
        taskType: 'imageInference',
        taskUUID: expect.stringMatching(UUID_V4),
        model: 'runware:400@2',
        positivePrompt: PROMPT,
        inputs: { referenceImages: [dataUri(reference)] },
        width: 1440,
        height: 896,
        numberResults: 2,
        seed: 20,
        steps: 4,
        CFGScale: 3.5,
        outputType: 'base64Data',
        outputFormat: 'WEBP',
        includeCost: true,
        // Several variants go async (choose-delivery.ts); one image of [klein] does not.
        deliveryMethod: 'async'
      }
    ])
    expect(job.images.map((image) => image.seed)).toEqual([20, 21])
    for (const image of job.images) expect(image).toMatchObject({ width: 1440, height: 896, contentType: 'image/webp' })
    expect(imageSize((await setup.imageAsync(job, 1)).bytes)).toMatchObject({ type: 'webp', width: 1440, height: 896 })
    expectBilledOnce(setup.fake)
  })

  it('the fake refuses FLUX.2 [pro]’s safety on [klein]: an offer claiming it sends providerSettings.bfl and fails, unbilled', async (context) => {
    const setup = await setupAsync(context, {
      config: (base) => ({
        hosts: {
          ...base.hosts,
          runware: {
            ...base.hosts.runware,
            offerOverrides: { 'flux2-klein-9b': { safetyTolerance: offerOf('runware', 'flux2-pro')!.safetyTolerance } }
          }
        }
      })
    })
    const job = await setup.editAsync({ prompt: PROMPT, model: 'flux2-klein-9b', safetyTolerance: 3 }, [makePng(1440, 900, 4)])

    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('provider_error')
    expect(submissions(setup.fake)[0]).toMatchObject({ model: 'runware:400@2', providerSettings: { bfl: { safetyTolerance: 3 } } })
    expect(setup.logText()).toMatch(/unknownParameter/)
    expect(setup.fake.accepted).toHaveLength(0)
  })
})

describe.concurrent('failures Runware reports', () => {
  it.for<{ name: string; fault: RunwareFault; code: RelayErrorCode; billed: number; numImages?: number }>([
    { name: 'a content-policy refusal', fault: { kind: 'moderation' }, code: 'moderated', billed: 0 },
    { name: 'every result flagged NSFWContent', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1 },
    { name: 'every result flagged NSFWContent (async)', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1, numImages: 2 },
    {
      name: 'a safety code while generating (async)',
      fault: { kind: 'task-error', code: 'providerContentPolicyViolation' },
      code: 'moderated',
      billed: 1,
      numImages: 2
    },
    { name: '402 out of credit', fault: { kind: 'status', status: 402 }, code: 'insufficient_credit', billed: 0 },
    { name: 'a result cut short', fault: { kind: 'truncated-image' }, code: 'provider_error', billed: 1 },
    { name: 'an expired result URL', fault: { kind: 'result-url', expired: true }, code: 'provider_error', billed: 1 }
  ])('$name → $code, submitted once', async ({ fault, code, billed, numImages }, context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext(fault)
    const job = await setup.editAsync({ prompt: PROMPT, numImages: numImages ?? 1 })

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code, message: ERROR_MESSAGES[code] })
    expect(job.images).toEqual([])
    expect(submissions(setup.fake)).toHaveLength(1)
    expect(setup.fake.accepted).toHaveLength(billed)
    expect(setup.fake.duplicateSubmissions).toBe(0)
  })

  it.for<{ name: string; fault: RunwareFault; cost: number; log?: string }>([
    { name: 'drops the flagged results and keeps the rest; every result is paid for', fault: { kind: 'nsfw', results: [1] }, cost: 0.24 },
    {
      name: 'keeps the results of a task whose other result failed (status error); only those are paid for',
      fault: { kind: 'task-error', results: [1] },
      cost: 0.16,
      log: 'provider.partial'
    }
  ])('$name', async ({ fault, cost, log }, context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext(fault)
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 3, seed: 1 })

    expect(job.status).toBe('succeeded')
    expect(job.images.map((image) => image.seed)).toEqual([1, 3])
    expect(job.cost).toBeCloseTo(cost, 6)
    if (log !== undefined) expect(setup.relay.logs.some((line) => line.includes(log))).toBe(true)
    expectBilledOnce(setup.fake)
  })

  it('keeps Runware’s text out of the job and in the log; a wrong key is provider_not_configured', async (context) => {
    const setup = await setupAsync(context, { env: { RUNWARE_API_KEY: WRONG_KEY } })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.error).toEqual({ code: 'provider_not_configured', message: expect.stringMatching(/RUNWARE_API_KEY/) })
    expect(JSON.stringify(job)).not.toMatch(/invalidApiKey|my\.runware\.ai/)
    expect(setup.relay.logs.some((line) => line.includes('invalidApiKey'))).toBe(true)
    expect(setup.fake.accepted).toHaveLength(0)
  })
})

describe.concurrent('retries without paying twice', () => {
  it('429 (Retry-After: 0) then success: the same taskUUID again, billed once', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    const [first, second] = submissions(setup.fake)
    expect(second?.taskUUID).toBe(first?.taskUUID)
    expect(polls(setup.fake)).toHaveLength(0)
    expectBilledOnce(setup.fake)
  })

  it('a 500 may have run the task: getResponse asks first, then the same task is submitted again', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'status', status: 500, retryAfterSeconds: 0 })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    const order = setup.fake.requests.map((request) => (request.body as Array<{ taskType: string }>)[0]!.taskType)
    expect(order).toEqual(['imageInference', 'getResponse', 'imageInference'])
    expectBilledOnce(setup.fake)
  })

  it('503 three times (Retry-After: 0): provider_unavailable after three submissions, nothing billed', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 3)
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.error?.code).toBe('provider_unavailable')
    expect(submissions(setup.fake)).toHaveLength(3)
    expect(setup.fake.accepted).toHaveLength(0)
  })

  it('a garbled 200 answer: getResponse finds nothing, the task is sent again and billed once', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'malformed' })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(submissions(setup.fake)).toHaveLength(2)
    expectBilledOnce(setup.fake)
  })

  it('a lost answer in sync mode (504 page) is recovered with getResponse, not resubmitted', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'lose-response' })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(submissions(setup.fake)).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it.for<RunwareFault>([{ kind: 'lose-response' }, { kind: 'reset-after-accept' }])(
    'a lost acknowledgement in async mode ($kind) is followed with getResponse, billed once',
    async (fault, context) => {
      const setup = await setupAsync(context, { fake: { latencyMs: 300 } })
      setup.fake.failNext(fault)
      const job = await setup.editAsync({ prompt: PROMPT, numImages: 2 })

      expect(job.status).toBe('succeeded')
      expect(job.images).toHaveLength(2)
      expect(job.cost).toBeCloseTo(0.16, 6)
      const [task] = submissions(setup.fake)
      expect(submissions(setup.fake)).toHaveLength(1)
      expect(task).toMatchObject({ deliveryMethod: 'async' })
      expect(polls(setup.fake).every((poll) => poll.taskUUID === task!.taskUUID)).toBe(true)
      expectBilledOnce(setup.fake)
    }
  )

  it('polls that fail (5xx, garbled, reset) are retried; the task is not submitted again', async (context) => {
    const setup = await setupAsync(context, { fake: { latencyMs: 100 } })
    setup.fake.failNextPoll({ kind: 'status', status: 502 })
    setup.fake.failNextPoll({ kind: 'reset' })
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 2 })

    expect(job.status).toBe('succeeded')
    expect(polls(setup.fake).length).toBeGreaterThanOrEqual(3)
    expect(submissions(setup.fake)).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it('a result sent as a URL is downloaded at once', async (context) => {
    const setup = await setupAsync(context)
    setup.fake.failNext({ kind: 'result-url' })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })
    expect(setup.fake.requests.filter((request) => request.method === 'GET')).toHaveLength(1)
  })
})

describe.concurrent('deadlines and cancel', () => {
  it('a host that never answers: timeout, nothing billed', async (context) => {
    const setup = await setupAsync(context, { env: { PROVIDER_TIMEOUT_SECONDS: '1' } })
    setup.fake.failNext({ kind: 'hang' })
    const job = await setup.editAsync({ prompt: PROMPT })

    expect(job.error).toEqual({ code: 'timeout', message: ERROR_MESSAGES.timeout })
    expect(setup.fake.accepted).toHaveLength(0)
  })

  it('an async task that outlasts the deadline: timeout after polling, submitted once', async (context) => {
    const setup = await setupAsync(context, { env: { PROVIDER_TIMEOUT_SECONDS: '2' }, fake: { latencyMs: 60_000 } })
    const job = await setup.editAsync({ prompt: PROMPT, numImages: 2 })

    expect(job.error?.code).toBe('timeout')
    expect(polls(setup.fake).length).toBeGreaterThanOrEqual(1)
    expectBilledOnce(setup.fake)
  })

  it('DELETE cancels a running async edit for the client at once; Runware has no cancel call, so none is sent, the relay keeps following the task it is billed for, and keeps its images', async (context) => {
    const setup = await setupAsync(context, { fake: { latencyMs: 1_500 } })
    const id = await setup.createAsync({ prompt: PROMPT, numImages: 2 })
    while (polls(setup.fake).length === 0) await new Promise((resolve) => setTimeout(resolve, 20))

    expect(await setup.cancelAsync(id)).toMatchObject({ status: 'canceled', error: { code: 'canceled' } })
    const pollsAtCancel = polls(setup.fake).length
    await setup.relay.relay.jobs.settleAsync()

    expect(polls(setup.fake).length).toBeGreaterThan(pollsAtCancel)
    const types = new Set(setup.fake.requests.map((request) => (request.body as Array<{ taskType: string }>)[0]!.taskType))
    expect([...types].sort()).toEqual(['getResponse', 'imageInference'])
    expectBilledOnce(setup.fake)
    const job = await setup.endAsync(id)
    expect(job.status).toBe('canceled')
    expect(job.images).toHaveLength(2)
  })
})

// ---------------------------------------------------------------------------------------------
// Layer 2: the relay in-process (relay-harness.ts)
// ---------------------------------------------------------------------------------------------

describe('the task the relay sends to Runware', () => {
  it('has exactly the documented fields for a default request', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync({ prompt: '  Make the sky purple, keep everything else  ' })
    expect((await relay.waitForEndAsync(id)).status).toBe('succeeded')

    const [request] = relay.fake!.requests
    expect(request).toMatchObject({ method: 'POST', path: '/v1' })
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`)
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(Array.isArray(request!.body) && request!.body).toHaveLength(1)

    const [task] = submissions(relay.fake!)
    expect(task).toEqual(DEFAULT_TASK)
    expect(task).not.toHaveProperty('seed')
    expect(relay.fake!.accepted).toHaveLength(1)
  })

  it('maps every option of the request onto the task', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync({
      prompt: 'Make the sky purple',
      model: 'kontext-pro',
      aspectRatio: '3:2',
      numImages: 3,
      seed: 4_294_967_295,
      outputFormat: 'jpeg',
      promptUpsampling: true,
      safetyTolerance: 5
    })
    expect((await relay.waitForEndAsync(id)).status).toBe('succeeded')

    expect(submissions(relay.fake!)[0]).toMatchObject({
      model: 'bfl:3@1',
      width: 1248,
      height: 832,
      numberResults: 3,
      seed: 4_294_967_295,
      outputFormat: 'JPG',
      providerSettings: { bfl: { promptUpsampling: true, safetyTolerance: 5 } }
    })
  })

  it('sends seed 0 when the request asks for seed 0', async () => {
    const relay = await startRelayHarnessAsync()
    await relay.waitForEndAsync(await relay.createEditAsync({ prompt: 'Make the sky purple', seed: 0 }))
    expect(submissions(relay.fake!)[0]).toHaveProperty('seed', 0)
  })

  it.each([
    [64, 36, '16:9', 1392, 752],
    [84, 36, '21:9', 1568, 672],
    [200, 10, '21:9 (the widest there is)', 1568, 672],
    [40, 30, '4:3', 1184, 880],
    [45, 30, '3:2', 1248, 832],
    [50, 50, '1:1', 1024, 1024],
    [30, 45, '2:3', 832, 1248],
    [30, 40, '3:4', 880, 1184],
    [36, 64, '9:16', 752, 1392],
    [36, 84, '9:21', 672, 1568]
  ])('picks the Kontext size nearest a %i×%i reference: %s', async (width, height, _ratio, outWidth, outHeight) => {
    const relay = await startRelayHarnessAsync()
    const job = await relay.waitForEndAsync(await relay.createEditAsync(DEFAULT_REQUEST, [makePng(width, height, 5)]))

    expect(submissions(relay.fake!)[0]).toMatchObject({ width: outWidth, height: outHeight })
    expect(job.images[0]).toMatchObject({ width: outWidth, height: outHeight })
  })

  it('sizes the output from the first reference when there are two', async () => {
    const relay = await startRelayHarnessAsync()
    await relay.waitForEndAsync(await relay.createEditAsync(DEFAULT_REQUEST, [makePng(36, 64, 1), makePng(64, 36, 2)]))
    expect(submissions(relay.fake!)[0]).toMatchObject({ width: 752, height: 1392 })
  })

  it('labels each reference by what its bytes are, not by the type the client declared', async () => {
    const relay = await startRelayHarnessAsync()
    const jpeg = makeJpeg(64, 36, 3)
    const form = editForm(DEFAULT_REQUEST, [
      { bytes: REFERENCE_PNG, type: 'image/jpeg', filename: 'frame.jpg' },
      { bytes: jpeg, type: 'application/octet-stream', filename: 'blob' }
    ])
    const response = await relay.postEditAsync(form)
    expect(response.status).toBe(202)
    await relay.jobs.settleAsync()

    const task = submissions(relay.fake!)[0] as { inputs: { referenceImages: string[] } }
    expect(task.inputs.referenceImages).toEqual([dataUri(REFERENCE_PNG), dataUri(jpeg, 'image/jpeg')])
  })

  it('uses a fresh taskUUID for every edit', async () => {
    const relay = await startRelayHarnessAsync()
    await relay.waitForEndAsync(await relay.createEditAsync())
    await relay.waitForEndAsync(await relay.createEditAsync())

    const uuids = submissions(relay.fake!).map((task) => task.taskUUID)
    expect(uuids).toHaveLength(2)
    expect(new Set(uuids).size).toBe(2)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

describe('errors Runware answers with', () => {
  it.each<{ name: string; fault: RunwareFault; code: RelayErrorCode; billed: number }>([
    { name: '402 (out of credit)', fault: { kind: 'status', status: 402 }, code: 'insufficient_credit', billed: 0 },
    { name: 'a content-policy refusal', fault: { kind: 'moderation' }, code: 'moderated', billed: 0 },
    { name: 'results flagged NSFW (billed by Runware)', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1 }
  ])('fails the job on $name with code $code, without retrying', async ({ fault, code, billed }) => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext(fault)

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code, message: ERROR_MESSAGES[code] })
    expect(job.images).toEqual([])
    expect(submissions(relay.fake!)).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(billed)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })

  it('keeps Runware’s own error text in the log, out of the job', async () => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext({ kind: 'status', status: 402 })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.error?.message).not.toMatch(/Simulated|insufficientCredits/)
    const failed = relay.logs.find((line) => line.event === 'job.failed')
    expect(failed?.fields).toMatchObject({ code: 'insufficient_credit', detail: expect.stringMatching(/402 insufficientCredits/) })
  })

  it('reports provider_not_configured when Runware refuses the relay’s API key', async () => {
    const relay = await startRelayHarnessAsync({ env: { RUNWARE_API_KEY: 'rw-wrong-key-1234567890' } })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'provider_not_configured', message: expect.stringMatching(/RUNWARE_API_KEY/) })
    expect(JSON.stringify(job)).not.toContain('rw-wrong-key-1234567890')
    expect(relay.fake!.accepted).toHaveLength(0)
  })
})

describe('results Runware sends that are not images', () => {
  it('fails the job with provider_error (the host’s fault, not the designer’s reference)', async () => {
    const notAPng = Buffer.from('<html>oops</html>').toString('base64')
    const relay = await startRelayHarnessAsync({
      rewriteHostAnswer: (text) => text.replace(/"imageBase64Data":"[^"]*"/g, `"imageBase64Data":"${notAPng}"`)
    })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
    expect(relay.fake!.accepted).toHaveLength(1)
  })
})

describe('a host that does not answer', () => {
  it('fails the job with timeout when Runware hangs past the provider deadline', async () => {
    const relay = await startRelayHarnessAsync({ config: { providerTimeoutMs: 300 } })
    relay.fake!.failNext({ kind: 'hang' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'timeout', message: ERROR_MESSAGES.timeout })
    expect(relay.fake!.accepted).toHaveLength(0)
  })

  it('fails the job with timeout when a slow task outlasts the deadline', async () => {
    const relay = await startRelayHarnessAsync({ config: { providerTimeoutMs: 300 }, fake: { latencyMs: 3000 } })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('timeout')
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

describe('an answer lost after Runware accepted the task', () => {
  it('recovers the result of a task whose answer was lost (504 gateway page) without submitting it again', async () => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext({ kind: 'lose-response' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(1)
    expect(polls(relay.fake!)[0]).toEqual({ taskType: 'getResponse', taskUUID: relay.fake!.accepted[0]!.taskUUID })
  })

  it('recovers the result when the connection drops after Runware accepted the task', async () => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext({ kind: 'reset-after-accept' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync({ prompt: 'Make the sky purple', numImages: 2 }))

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    expect(job.cost).toBeCloseTo(0.16, 6)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(1)
  })
})

describe('a resubmit Runware answers conflictTaskUUID', () => {
  it('follows the task Runware already has when the resubmit after a reset is answered conflictTaskUUID, billed once', async () => {
    const relay = await startRelayHarnessAsync()
    // Accepted, then the connection drops; the first poll does not see the task yet, so the relay
    // submits again, and Runware answers that it has this taskUUID.
    relay.fake!.failNext({ kind: 'reset-after-accept' })
    relay.fake!.failNextPoll({ kind: 'not-found' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.error).toBeUndefined()
    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(1)
    const [first, second] = submissions(relay.fake!)
    expect(second?.taskUUID).toBe(first?.taskUUID)
    expect(polls(relay.fake!).length).toBeGreaterThanOrEqual(2)
    expect(relay.logs.map((line) => line.event)).toContain('provider.conflict')
  })
})

describe('refusals Runware did not bill', () => {
  it('submits again after a 429 and succeeds, billed once', async () => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext({ kind: 'status', status: 429 })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    const [first, second] = submissions(relay.fake!)
    expect(second?.taskUUID).toBe(first?.taskUUID)
  })

  it('succeeds after two 503s, billed once', async () => {
    const relay = await startRelayHarnessAsync()
    // Retry-After: 0 skips the 1 s + 2 s back-off; the adapter tests below ("waiting between submissions") check the back-off itself.
    relay.fake!.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 2)

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(3)
  })

  it('succeeds after one garbled 200 answer, billed once', async () => {
    const relay = await startRelayHarnessAsync()
    relay.fake!.failNext({ kind: 'malformed' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
// Layer 3: the adapter with an instant sleep, and the body as bytes
// ---------------------------------------------------------------------------------------------

describe('waiting between submissions', () => {
  it('waits as long as Retry-After says after a 429', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 7 })
    const { provider, sleeps } = adapter(fake.url)

    const result = await provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))

    expect(result.images).toHaveLength(1)
    expect(sleeps).toEqual([7000])
    expect(fake.accepted).toHaveLength(1)
  })

  it('caps a long Retry-After at 30 s', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 3600 })
    const { provider, sleeps } = adapter(fake.url)

    await provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))
    expect(sleeps).toEqual([30_000])
  })

  it('backs off 1 s, then 2 s, and gives up after three submissions with provider_unavailable', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 503 }, 3)
    const { provider, sleeps } = adapter(fake.url)

    const outcome = provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))

    await expect(outcome).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(sleeps).toEqual([1000, 2000])
    expect(submissions(fake)).toHaveLength(3)
    expect(fake.accepted).toHaveLength(0)
  })

  it('gives up with provider_error after three garbled 200 answers, never billed', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'malformed' }, 3)
    const { provider, sleeps } = adapter(fake.url)

    await expect(provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))).rejects.toMatchObject({ code: 'provider_error' })
    expect(sleeps).toEqual([1000, 2000])
    expect(submissions(fake)).toHaveLength(3)
    expect(fake.accepted).toHaveLength(0)
    expect(fake.duplicateSubmissions).toBe(0)
  })

  it('does not retry a refusal that cannot succeed (402)', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'status', status: 402 })
    const { provider, sleeps } = adapter(fake.url)

    await expect(provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))).rejects.toMatchObject({
      code: 'insufficient_credit'
    })
    expect(sleeps).toEqual([])
    expect(submissions(fake)).toHaveLength(1)
  })
})

describe('a resubmit answered conflictTaskUUID', () => {
  it('follows an async task Runware already has, billed once, without a third submission', async () => {
    const fake = await startFakeAsync()
    fake.failNext({ kind: 'reset-after-accept' })
    fake.failNextPoll({ kind: 'not-found' })
    const { provider, sleeps } = adapter(fake.url, fetch, { RUNWARE_DELIVERY: 'async' })

    const result = await provider.editAsync(editInput({ signal: AbortSignal.timeout(5000) }))

    expect(result.images).toHaveLength(1)
    expect(submissions(fake)).toHaveLength(2)
    expect(submissions(fake)[1]?.deliveryMethod).toBe('async')
    expect(fake.accepted).toHaveLength(1)
    expect(fake.duplicateSubmissions).toBe(1)
    // One back-off between the submissions; the conflict itself is not waited out.
    expect(sleeps[0]).toBe(1000)
  })
})

describe('a host that cannot be reached at all', () => {
  it('gives up with provider_unavailable instead of polling until the deadline', async () => {
    const unreachable: typeof fetch = () => Promise.reject(new TypeError('fetch failed'))
    const { provider, fetchCalls } = adapter('http://127.0.0.1:9/v1', unreachable)

    const error = await provider.editAsync(editInput({ signal: AbortSignal.timeout(2000) })).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'provider_unavailable' })
    expect(fetchCalls()).toBeLessThan(50)
  })
})

const CONTENT_TYPES = ['image/png', 'image/jpeg'] as const
const CALL: RunwareCall = { taskUUID: '3f1c9a52-8d0e-4b7a-9c61-2e5f7d8a4b10', numberResults: 2, seed: 42, delivery: 'async' }

describe('the Runware body written as bytes', () => {
  it.each([
    ['kontext-max', { prompt: 'Make the sky purple' }, [5]],
    [
      'kontext-pro',
      {
        prompt: 'Quotes " and \\ backslashes, "inputs":{"referenceImages":[ and ünïcödé 🎨\u2028',
        outputFormat: 'jpeg',
        promptUpsampling: true,
        safetyTolerance: 5
      },
      [0, 1, 2, 3]
    ],
    ['kontext-dev', { prompt: 'Steps and guidance', steps: 20, guidance: 3.5 }, [49151, 49152, 49153, 150001]],
    ['flux2-flex', { prompt: 'Eight references', steps: 30, guidance: 4, safetyTolerance: 5 }, [1, 2, 3, 4, 5, 6, 7, 8]]
  ] as const)('%s: the same bytes as JSON.stringify of the task', (model, request, sizes) => {
    const references = sizes.map((size, index) => ({
      bytes: bytesOf(size, index + 1),
      contentType: CONTENT_TYPES[index % 2]!,
      width: 64,
      height: 36
    }))
    const body = buildRunwareBody(editInput({ model, request, references }), CALL)
    const expected = new TextEncoder().encode(JSON.stringify([buildRunwareTask(editInput({ model, request, references }), CALL)]))
    expect(Buffer.from(body).equals(Buffer.from(expected))).toBe(true)
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual([buildRunwareTask(editInput({ model, request, references }), CALL)])
  })

  it('writes base64 from a view into a larger buffer, across steps, as Node encodes it', () => {
    const backing = bytesOf(200_000, 7)
    for (const [start, length] of [
      [0, 0],
      [3, 1],
      [5, 2],
      [1, 49152],
      [11, 98305],
      [17, 150_000]
    ] as const) {
      const view = backing.subarray(start, start + length)
      const target = new Uint8Array(base64Length(length) + 4)
      expect(writeBase64Into(view, target, 2)).toBe(2 + base64Length(length))
      expect(Buffer.from(target.subarray(2, 2 + base64Length(length))).toString('latin1')).toBe(Buffer.from(view).toString('base64'))
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

describe('secrets', () => {
  it('never puts a Runware key in a relay response or log line', () => {
    expect(contractTranscript.responses.length).toBeGreaterThan(20)
    expect(contractTranscript.logs.length).toBeGreaterThan(20)
    expectKeyKeptOut(KEY)
    expectKeyKeptOut(WRONG_KEY)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
