/**
 * Runware through the real relay over real HTTP (test/support/start-relay-async.ts), against the
 * strict fake (test/fakes/runware-server.ts), with multipart requests like the plugin sends. Each
 * test follows the edit to its end with `GET /v1/edits/{id}?wait=10` and checks what the fake was
 * sent (field for field against docs/hosts.md, "Runware") and how many tasks it billed: never two for one
 * edit. The last test checks that no fake's key reached a response or a relay log line.
 *
 * Each test has its own fake and relay, so the tests of a block run concurrently (most of their
 * time is the adapter's real poll and back-off sleeps).
 */
import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { describe, expect, it, type TestContext } from 'vitest'
import { parseRelayConfig, type RelayConfig } from '../../relay/config'
import { ERROR_MESSAGES, type RelayErrorCode } from '../../shared/errors'
import { EditJob, TERMINAL_STATUSES, type EditRequestInput } from '../../shared/relay-api'
import { makeJpeg, makePng } from '../fakes/make-image'
import { startFakeRunwareAsync, type FakeRunware, type FakeRunwareOptions, type RunwareFault } from '../fakes/runware-server'
import { startRelayAsync, TEST_TOKEN, type RunningRelay } from '../support/start-relay-async'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const REFERENCE = makePng(64, 36, 7)

/** Every key, response and log line of this file, for the leak check at the end. */
const keys: string[] = []
const responses: string[] = []
const logs: string[][] = []

interface Setup {
  fake: FakeRunware
  relay: RunningRelay
}

async function startAsync(
  context: Pick<TestContext, 'onTestFinished'>,
  options: { env?: Record<string, string>; fake?: Omit<FakeRunwareOptions, 'apiKey'>; config?: (base: RelayConfig) => Partial<RelayConfig> } = {}
): Promise<Setup> {
  const apiKey = `rw-contract-secret-${randomUUID()}`
  keys.push(apiKey)
  const fake = await startFakeRunwareAsync({ apiKey, ...options.fake })
  const env = { RUNWARE_API_KEY: apiKey, RUNWARE_API_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...options.env }
  const overrides = options.config?.(parseRelayConfig({ RELAY_TOKENS: TEST_TOKEN, ...env })) ?? {}
  const relay = await startRelayAsync(env, overrides)
  logs.push(relay.logs)
  context.onTestFinished(async () => {
    // The fake first: it ends hanging requests, so the relay's jobs settle at once.
    await fake.close()
    await relay.close()
  })
  return { fake, relay }
}

async function callAsync(relay: RunningRelay, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${relay.token}`)
  const response = await fetch(`${relay.url}${path}`, { ...init, headers })
  responses.push(Buffer.from(await response.clone().arrayBuffer()).toString('latin1'))
  return response
}

function editForm(request: EditRequestInput, images: Uint8Array[] = [REFERENCE]): FormData {
  const form = new FormData()
  form.append('request', JSON.stringify(request))
  images.forEach((bytes, index) => form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), `frame-${index + 1}.png`))
  return form
}

async function createAsync(relay: RunningRelay, request: EditRequestInput, images?: Uint8Array[]): Promise<string> {
  const response = await callAsync(relay, '/v1/edits', { method: 'POST', body: editForm(request, images) })
  const body = (await response.json()) as { id?: string }
  expect(response.status, JSON.stringify(body)).toBe(202)
  return body.id!
}

async function waitForEndAsync(relay: RunningRelay, id: string, onUpdate?: (job: EditJob) => void): Promise<EditJob> {
  for (let poll = 0; poll < 40; poll += 1) {
    const response = await callAsync(relay, `/v1/edits/${id}?wait=10`)
    expect(response.status).toBe(200)
    const job = EditJob.parse(await response.json())
    onUpdate?.(job)
    if (TERMINAL_STATUSES.includes(job.status)) return job
  }
  throw new Error(`edit ${id} did not finish`)
}

async function editAsync(setup: Setup, request: EditRequestInput, images?: Uint8Array[]): Promise<EditJob> {
  return waitForEndAsync(setup.relay, await createAsync(setup.relay, request, images))
}

async function imageAsync(relay: RunningRelay, url: string): Promise<{ type: string | null; bytes: Uint8Array }> {
  const response = await callAsync(relay, url)
  expect(response.status).toBe(200)
  return { type: response.headers.get('content-type'), bytes: new Uint8Array(await response.arrayBuffer()) }
}

/** The tasks of one type the fake received, in order (the relay sends one task per request). */
function tasks(fake: FakeRunware, taskType: 'imageInference' | 'getResponse'): Array<Record<string, unknown>> {
  return fake.requests
    .map((request) => (Array.isArray(request.body) ? (request.body[0] as Record<string, unknown>) : undefined))
    .filter((task): task is Record<string, unknown> => task?.taskType === taskType)
}

function dataUri(bytes: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`
}

function expectBilledOnce(fake: FakeRunware): void {
  expect(fake.accepted).toHaveLength(1)
  expect(fake.duplicateSubmissions).toBe(0)
}

const PROMPT = 'Make the sky purple, keep everything else'

describe.concurrent('success', () => {
  it('one variant of Kontext [max]: one sync round trip with exactly the documented task', async (context) => {
    const setup = await startAsync(context)
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job).toMatchObject({ status: 'succeeded', provider: 'runware', model: 'kontext-max', cost: 0.08 })
    expect(job.costEstimated).not.toBe(true)
    const [request] = setup.fake.requests
    expect(setup.fake.requests).toHaveLength(1)
    expect(request).toMatchObject({ method: 'POST', path: '/v1' })
    expect(request!.headers.authorization).toBe(`Bearer ${setup.fake.apiKey}`)
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(request!.body).toEqual([
      {
        taskType: 'imageInference',
        taskUUID: expect.stringMatching(UUID_V4),
        model: 'bfl:4@1',
        positivePrompt: PROMPT,
        inputs: { referenceImages: [dataUri(REFERENCE)] },
        width: 1392,
        height: 752,
        numberResults: 1,
        outputType: 'base64Data',
        outputFormat: 'PNG',
        includeCost: true,
        providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 2 } }
      }
    ])
    const image = await imageAsync(setup.relay, job.images[0]!.url)
    expect(image.type).toBe('image/png')
    expect(imageSize(image.bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })
    expectBilledOnce(setup.fake)
  })

  it('four variants of Kontext [pro]: one async task, polled with getResponse, four different images, cost summed', async (context) => {
    const setup = await startAsync(context, { fake: { latencyMs: 200 } })
    const job = await editAsync(setup, { prompt: PROMPT, model: 'kontext-pro', numImages: 4, seed: 10, aspectRatio: '1:1', safetyTolerance: 4, promptUpsampling: true })

    expect(job.status).toBe('succeeded')
    expect(job.images.map((image) => image.seed)).toEqual([10, 11, 12, 13])
    expect(job.cost).toBeCloseTo(0.16, 6)
    const [task] = tasks(setup.fake, 'imageInference')
    expect(task).toEqual({
      taskType: 'imageInference',
      taskUUID: expect.stringMatching(UUID_V4),
      model: 'bfl:3@1',
      positivePrompt: PROMPT,
      inputs: { referenceImages: [dataUri(REFERENCE)] },
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
    const polls = tasks(setup.fake, 'getResponse')
    expect(polls.length).toBeGreaterThanOrEqual(1)
    for (const poll of polls) expect(poll).toEqual({ taskType: 'getResponse', taskUUID: task!.taskUUID })
    const images = await Promise.all(job.images.map((image) => imageAsync(setup.relay, image.url)))
    expect(new Set(images.map((image) => Buffer.from(image.bytes).toString('base64'))).size).toBe(4)
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it('two references go in inputs.referenceImages; the first one sets the size', async (context) => {
    const setup = await startAsync(context)
    const portrait = makePng(36, 64, 1)
    const jpegLandscape = makeJpeg(64, 36, 2)
    const job = await editAsync(setup, { prompt: PROMPT }, [portrait, jpegLandscape])

    expect(job.status).toBe('succeeded')
    expect(tasks(setup.fake, 'imageInference')[0]).toMatchObject({
      inputs: { referenceImages: [dataUri(portrait), `data:image/jpeg;base64,${Buffer.from(jpegLandscape).toString('base64')}`] },
      width: 752,
      height: 1392
    })
    expectBilledOnce(setup.fake)
  })

  it('Kontext [dev]: runware:106@1 with steps and CFGScale, no BFL settings, a dev size, async', async (context) => {
    const setup = await startAsync(context)
    const wide = makePng(80, 40, 3)
    const job = await editAsync(setup, { prompt: PROMPT, model: 'kontext-dev', steps: 20, guidance: 3.5, seed: 5 }, [wide])

    expect(job).toMatchObject({ status: 'succeeded', model: 'kontext-dev', cost: 0.0105 })
    expect(job.images[0]).toMatchObject({ width: 1456, height: 720 })
    const [task] = tasks(setup.fake, 'imageInference')
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
    expect(tasks(setup.fake, 'getResponse').length).toBeGreaterThanOrEqual(1)
    expectBilledOnce(setup.fake)
  })

  it('Kontext [dev] without steps or guidance sends the offer’s defaults', async (context) => {
    const setup = await startAsync(context)
    await editAsync(setup, { prompt: PROMPT, model: 'kontext-dev' })
    expect(tasks(setup.fake, 'imageInference')[0]).toMatchObject({ steps: 28, CFGScale: 2.5 })
    expect(tasks(setup.fake, 'imageInference')[0]).not.toHaveProperty('providerSettings')
  })

  it('WEBP at an outputQuality: sent as WEBP and the quality, served as a WebP that decodes', async (context) => {
    const setup = await startAsync(context)
    const job = await editAsync(setup, { prompt: PROMPT, outputFormat: 'webp', outputQuality: 70 })

    expect(tasks(setup.fake, 'imageInference')[0]).toMatchObject({ outputFormat: 'WEBP', outputQuality: 70 })
    expect(job.images[0]).toMatchObject({ contentType: 'image/webp', width: 1392, height: 752 })
    const image = await imageAsync(setup.relay, job.images[0]!.url)
    expect(image.type).toBe('image/webp')
    expect(imageSize(image.bytes)).toMatchObject({ type: 'webp', width: 1392, height: 752 })
  })

  it('RUNWARE_DELIVERY=async makes even one Kontext [max] image async, and the job shows progress', async (context) => {
    const setup = await startAsync(context, { env: { RUNWARE_DELIVERY: 'async' }, fake: { latencyMs: 1000 } })
    const progress: number[] = []
    const id = await createAsync(setup.relay, { prompt: PROMPT })
    const job = await waitForEndAsync(setup.relay, id, (update) => {
      if (update.status === 'running' && update.progress !== undefined) progress.push(update.progress)
    })

    expect(job.status).toBe('succeeded')
    expect(job.progress).toBeUndefined()
    expect(progress.length).toBeGreaterThan(0)
    expect(progress).toEqual([...progress].sort())
    for (const value of progress) expect(value).toBeLessThan(1)
    expect(tasks(setup.fake, 'imageInference')[0]).toMatchObject({ deliveryMethod: 'async', numberResults: 1 })
    expect(tasks(setup.fake, 'getResponse').length).toBeGreaterThanOrEqual(2)
    expectBilledOnce(setup.fake)
  })

  it('makes one task per variant when the offer says one per call (data, not model ids), with consecutive seeds', async (context) => {
    const setup = await startAsync(context, {
      config: (base) => ({ hosts: { ...base.hosts, runware: { ...base.hosts.runware, offerOverrides: { 'kontext-max': { variantsPerCall: 1 } } } } })
    })
    const job = await editAsync(setup, { prompt: PROMPT, numImages: 3, seed: 40 })

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(3)
    expect(job.cost).toBeCloseTo(0.24, 6)
    const sent = tasks(setup.fake, 'imageInference')
    expect(sent.map((task) => [task.numberResults, task.seed]).sort()).toEqual([[1, 40], [1, 41], [1, 42]])
    expect(new Set(sent.map((task) => task.taskUUID)).size).toBe(3)
    expect(setup.fake.accepted).toHaveLength(3)
    expect(setup.fake.duplicateSubmissions).toBe(0)
  })
})

describe.concurrent('failures Runware reports', () => {
  it.for<{ name: string; fault: RunwareFault; code: RelayErrorCode; billed: number; numImages?: number }>([
    { name: 'a content-policy refusal', fault: { kind: 'moderation' }, code: 'moderated', billed: 0 },
    { name: 'every result flagged NSFWContent', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1 },
    { name: 'every result flagged NSFWContent (async)', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1, numImages: 2 },
    { name: 'a safety code while generating (async)', fault: { kind: 'task-error', code: 'providerContentPolicyViolation' }, code: 'moderated', billed: 1, numImages: 2 },
    { name: '402 out of credit', fault: { kind: 'status', status: 402 }, code: 'insufficient_credit', billed: 0 },
    { name: 'a result cut short', fault: { kind: 'truncated' }, code: 'provider_error', billed: 1 },
    { name: 'an expired result URL', fault: { kind: 'result-url', expired: true }, code: 'provider_error', billed: 1 }
  ])('$name → $code, submitted once', async ({ fault, code, billed, numImages }, context) => {
    const setup = await startAsync(context)
    setup.fake.failNext(fault)
    const job = await editAsync(setup, { prompt: PROMPT, numImages: numImages ?? 1 })

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code, message: ERROR_MESSAGES[code] })
    expect(job.images).toEqual([])
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(1)
    expect(setup.fake.accepted).toHaveLength(billed)
    expect(setup.fake.duplicateSubmissions).toBe(0)
  })

  it('drops the flagged results and keeps the rest; every result is paid for', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'nsfw', results: [1] })
    const job = await editAsync(setup, { prompt: PROMPT, numImages: 3, seed: 1 })

    expect(job.status).toBe('succeeded')
    expect(job.images.map((image) => image.seed)).toEqual([1, 3])
    expect(job.cost).toBeCloseTo(0.24, 6)
    expectBilledOnce(setup.fake)
  })

  it('keeps Runware’s text out of the job and in the log; a wrong key is provider_not_configured', async (context) => {
    const setup = await startAsync(context, { env: { RUNWARE_API_KEY: 'rw-wrong-key-0123456789' } })
    keys.push('rw-wrong-key-0123456789')
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.error).toEqual({ code: 'provider_not_configured', message: expect.stringMatching(/RUNWARE_API_KEY/) })
    expect(JSON.stringify(job)).not.toMatch(/invalidApiKey|my\.runware\.ai/)
    expect(setup.relay.logs.some((line) => line.includes('invalidApiKey'))).toBe(true)
    expect(setup.fake.accepted).toHaveLength(0)
  })
})

describe.concurrent('retries without paying twice', () => {
  it('429 (Retry-After: 0) then success: the same taskUUID again, billed once', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    const [first, second] = tasks(setup.fake, 'imageInference')
    expect(second?.taskUUID).toBe(first?.taskUUID)
    expect(tasks(setup.fake, 'getResponse')).toHaveLength(0)
    expectBilledOnce(setup.fake)
  })

  it('a 500 may have run the task: getResponse asks first, then the same task is submitted again', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'status', status: 500, retryAfterSeconds: 0 })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    const order = setup.fake.requests.map((request) => (request.body as Array<{ taskType: string }>)[0]!.taskType)
    expect(order).toEqual(['imageInference', 'getResponse', 'imageInference'])
    expectBilledOnce(setup.fake)
  })

  it('503 three times (Retry-After: 0): provider_unavailable after three submissions, nothing billed', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 3)
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.error?.code).toBe('provider_unavailable')
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(3)
    expect(setup.fake.accepted).toHaveLength(0)
  })

  it('a garbled 200 answer: getResponse finds nothing, the task is sent again and billed once', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'malformed' })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(2)
    expectBilledOnce(setup.fake)
  })

  it('a lost answer in sync mode (504 page) is recovered with getResponse, not resubmitted', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'lose-response' })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it.for<RunwareFault>([{ kind: 'lose-response' }, { kind: 'reset-after-accept' }])(
    'a lost acknowledgement in async mode ($kind) is followed with getResponse, billed once',
    async (fault, context) => {
      const setup = await startAsync(context, { fake: { latencyMs: 300 } })
      setup.fake.failNext(fault)
      const job = await editAsync(setup, { prompt: PROMPT, numImages: 2 })

      expect(job.status).toBe('succeeded')
      expect(job.images).toHaveLength(2)
      expect(job.cost).toBeCloseTo(0.16, 6)
      const [task] = tasks(setup.fake, 'imageInference')
      expect(tasks(setup.fake, 'imageInference')).toHaveLength(1)
      expect(task).toMatchObject({ deliveryMethod: 'async' })
      expect(tasks(setup.fake, 'getResponse').every((poll) => poll.taskUUID === task!.taskUUID)).toBe(true)
      expectBilledOnce(setup.fake)
    }
  )

  it('polls that fail (5xx, garbled, reset) are retried; the task is not submitted again', async (context) => {
    const setup = await startAsync(context, { fake: { latencyMs: 100 } })
    setup.fake.failNextPoll({ kind: 'status', status: 502 })
    setup.fake.failNextPoll({ kind: 'reset' })
    const job = await editAsync(setup, { prompt: PROMPT, numImages: 2 })

    expect(job.status).toBe('succeeded')
    expect(tasks(setup.fake, 'getResponse').length).toBeGreaterThanOrEqual(3)
    expect(tasks(setup.fake, 'imageInference')).toHaveLength(1)
    expectBilledOnce(setup.fake)
  })

  it('a result sent as a URL is downloaded at once', async (context) => {
    const setup = await startAsync(context)
    setup.fake.failNext({ kind: 'result-url' })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.status).toBe('succeeded')
    expect(imageSize((await imageAsync(setup.relay, job.images[0]!.url)).bytes)).toMatchObject({ type: 'png', width: 1392, height: 752 })
    expect(setup.fake.requests.filter((request) => request.method === 'GET')).toHaveLength(1)
  })
})

describe.concurrent('deadlines and cancel', () => {
  it('a host that never answers: timeout, nothing billed', async (context) => {
    const setup = await startAsync(context, { env: { PROVIDER_TIMEOUT_SECONDS: '1' } })
    setup.fake.failNext({ kind: 'hang' })
    const job = await editAsync(setup, { prompt: PROMPT })

    expect(job.error).toEqual({ code: 'timeout', message: ERROR_MESSAGES.timeout })
    expect(setup.fake.accepted).toHaveLength(0)
  })

  it('an async task that outlasts the deadline: timeout after polling, submitted once', async (context) => {
    const setup = await startAsync(context, { env: { PROVIDER_TIMEOUT_SECONDS: '2' }, fake: { latencyMs: 60_000 } })
    const job = await editAsync(setup, { prompt: PROMPT, numImages: 2 })

    expect(job.error?.code).toBe('timeout')
    expect(tasks(setup.fake, 'getResponse').length).toBeGreaterThanOrEqual(1)
    expectBilledOnce(setup.fake)
  })

  it('DELETE cancels a running async edit for the client at once; Runware has no cancel call, so none is sent, the relay keeps following the task it is billed for, and keeps its images', async (context) => {
    const setup = await startAsync(context, { fake: { latencyMs: 1_500 } })
    const id = await createAsync(setup.relay, { prompt: PROMPT, numImages: 2 })
    while (tasks(setup.fake, 'getResponse').length === 0) await new Promise((resolve) => setTimeout(resolve, 20))

    const response = await callAsync(setup.relay, `/v1/edits/${id}`, { method: 'DELETE' })
    expect(response.status).toBe(200)
    expect(EditJob.parse(await response.json())).toMatchObject({ status: 'canceled', error: { code: 'canceled' } })
    const pollsAtCancel = tasks(setup.fake, 'getResponse').length
    await setup.relay.relay.jobs.settleAsync()

    expect(tasks(setup.fake, 'getResponse').length).toBeGreaterThan(pollsAtCancel)
    const types = new Set(setup.fake.requests.map((request) => (request.body as Array<{ taskType: string }>)[0]!.taskType))
    expect([...types].sort()).toEqual(['getResponse', 'imageInference'])
    expectBilledOnce(setup.fake)
    const job = await waitForEndAsync(setup.relay, id)
    expect(job.status).toBe('canceled')
    expect(job.images).toHaveLength(2)
  })
})

describe('secrets', () => {
  it('never puts a Runware key in a relay response or log line', () => {
    const lines = logs.flat()
    expect(responses.length).toBeGreaterThan(20)
    expect(lines.length).toBeGreaterThan(20)
    for (const key of keys) {
      expect(responses.filter((text) => text.includes(key))).toEqual([])
      expect(lines.filter((line) => line.includes(key))).toEqual([])
    }
  })
})
