import { imageSize } from 'image-size'
import { describe, expect, it } from 'vitest'
import { EditCreated, EditJob } from '../../shared/relay-api'
import { createStubProvider, type StubProvider } from '../support/stub-provider'
import {
  editForm,
  itKeepsSecretsOutOfResponsesAndLogs,
  OTHER_TOKEN,
  TOKEN,
  readErrorAsync,
  startRelayHarnessAsync,
  storedJob,
  type RelayHarness
} from './relay-harness'

/** The relay on a stub adapter (no wire): the jobs layer alone. Host behaviour is in each host's contract test. */
async function startAsync(
  options: { latencyMs?: number; now?: () => number; env?: Record<string, string> } = {}
): Promise<RelayHarness & { stub: StubProvider }> {
  const stub = createStubProvider({ id: 'runware', latencyMs: options.latencyMs ?? 0 })
  const relay = await startRelayHarnessAsync({
    stub,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.env === undefined ? {} : { env: options.env })
  })
  return { ...relay, stub }
}

async function readJobAsync(response: Response): Promise<EditJob> {
  expect(response.status).toBe(200)
  return EditJob.parse(await response.json())
}

describe('creating an edit', () => {
  it('answers 202 with the job id, its status and a Location to poll', async () => {
    const relay = await startAsync({ latencyMs: 200 })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make the sky purple' }))

    expect(response.status).toBe(202)
    const created = EditCreated.parse(await response.json())
    expect(['queued', 'running']).toContain(created.status)
    expect(response.headers.get('location')).toBe(`/v1/edits/${created.id}`)
  })

  it('answers GET without wait at once with the current status', async () => {
    const relay = await startAsync({ latencyMs: 2000 })
    const id = await relay.createEditAsync()

    const job = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}`))
    expect(job).toMatchObject({ id, status: 'running', provider: 'runware', model: 'kontext-max', images: [] })
    expect(job.error).toBeUndefined()
  })
})

describe('long-polling with ?wait=', () => {
  it('returns the finished job from a single long poll', async () => {
    const relay = await startAsync({ latencyMs: 300 })
    const id = await relay.createEditAsync()

    const job = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}?wait=20`))
    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
  })

  it('returns a finished job at once', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync()
    await relay.jobs.settleAsync()

    const job = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}?wait=25`))
    expect(job.status).toBe('succeeded')
  })

  it.each(['99', '26', '-1', 'soon'])('refuses ?wait=%s with 400', async (wait) => {
    const relay = await startAsync()
    const id = await relay.createEditAsync()

    const response = await relay.authedAsync(`/v1/edits/${id}?wait=${wait}`)
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toEqual({ code: 'invalid_request', message: expect.stringMatching(/wait must be .* 0 to 25/) })
  })
})

describe('result images', () => {
  it('serves the exact bytes the host returned, as PNG, at the size the job reports', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync({ prompt: 'Make the sky purple', seed: 42 })
    const job = await relay.waitForEndAsync(id)
    expect(job.status).toBe('succeeded')
    const [meta] = job.images
    expect(meta).toMatchObject({ url: `/v1/edits/${id}/images/0`, contentType: 'image/png', seed: 42 })

    const response = await relay.authedAsync(meta!.url)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect(Buffer.from(bytes).equals(Buffer.from(relay.stub.delivered[0]!))).toBe(true)
    const decoded = imageSize(bytes)
    expect(decoded).toMatchObject({ type: 'png', width: meta!.width, height: meta!.height })
  })

  it('serves JPEG results as image/jpeg when outputFormat is jpeg', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync({ prompt: 'Make the sky purple', outputFormat: 'jpeg' })
    const job = await relay.waitForEndAsync(id)
    const [meta] = job.images
    expect(meta?.contentType).toBe('image/jpeg')

    const response = await relay.authedAsync(meta!.url)
    expect(response.headers.get('content-type')).toBe('image/jpeg')
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect(Buffer.from(bytes).equals(Buffer.from(relay.stub.delivered[0]!))).toBe(true)
    expect(imageSize(bytes)).toMatchObject({ type: 'jpg', width: meta!.width, height: meta!.height })
  })

  it('serves every variant of a multi-image edit, each different, and reports the host cost', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync({ prompt: 'Make the sky purple', numImages: 2 })
    const job = await relay.waitForEndAsync(id)

    expect(job.images.map((image) => image.url)).toEqual([`/v1/edits/${id}/images/0`, `/v1/edits/${id}/images/1`])
    expect(job.cost).toBeCloseTo(0.16, 6)
    const [first, second] = await Promise.all(
      job.images.map(async (image) => Buffer.from(await (await relay.authedAsync(image.url)).arrayBuffer()))
    )
    const sent = relay.stub.delivered
    expect(first!.equals(Buffer.from(sent[0]!))).toBe(true)
    expect(second!.equals(Buffer.from(sent[1]!))).toBe(true)
    expect(first!.equals(second!)).toBe(false)
  })

  it.each(['2', '-1', '0.5', 'first'])('answers 404 for image number %s of a one-image edit', async (index) => {
    const relay = await startAsync()
    const id = await relay.createEditAsync()
    await relay.waitForEndAsync(id)

    const response = await relay.authedAsync(`/v1/edits/${id}/images/${index}`)
    expect(response.status).toBe(404)
    expect((await readErrorAsync(response)).code).toBe('not_found')
  })
})

describe('who can see an edit', () => {
  it('answers 404 for an edit id that does not exist', async () => {
    const relay = await startAsync()
    for (const [path, method] of [
      ['/v1/edits/3f0c6f5e-0000-4000-8000-000000000000', 'GET'],
      ['/v1/edits/3f0c6f5e-0000-4000-8000-000000000000?wait=1', 'GET'],
      ['/v1/edits/3f0c6f5e-0000-4000-8000-000000000000/images/0', 'GET'],
      ['/v1/edits/3f0c6f5e-0000-4000-8000-000000000000', 'DELETE']
    ] as const) {
      const response = await relay.authedAsync(path, { method })
      expect(response.status, `${method} ${path}`).toBe(404)
      expect((await readErrorAsync(response)).code).toBe('not_found')
    }
  })

  it('answers 404 to another token for every route of an edit, and its DELETE cancels nothing', async () => {
    const relay = await startAsync({ latencyMs: 300 })
    const id = await relay.createEditAsync()

    for (const [path, method] of [
      [`/v1/edits/${id}`, 'GET'],
      [`/v1/edits/${id}?wait=1`, 'GET'],
      [`/v1/edits/${id}`, 'DELETE']
    ] as const) {
      const response = await relay.authedAsync(path, { method }, OTHER_TOKEN)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect((await readErrorAsync(response)).code).toBe('not_found')
    }

    const job = await relay.waitForEndAsync(id)
    expect(job.status).toBe('succeeded')
    const image = await relay.authedAsync(`/v1/edits/${id}/images/0`, {}, OTHER_TOKEN)
    expect(image.status).toBe(404)
  })

  it('keeps the job record free of the token itself', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync()
    await relay.waitForEndAsync(id)
    const record = JSON.stringify({ ...storedJob(relay, id), images: [] })
    expect(record).not.toContain(TOKEN)
  })
})

describe('canceling', () => {
  it('cancels a running edit at once, and a second DELETE answers the same', async () => {
    const relay = await startAsync({ latencyMs: 5000 })
    const id = await relay.createEditAsync()

    const first = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' }))
    expect(first.status).toBe('canceled')
    expect(first.error?.code).toBe('canceled')
    expect(first.images).toEqual([])

    const second = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' }))
    expect(second).toMatchObject({ id, status: 'canceled', error: first.error, updatedAt: first.updatedAt })
  })

  it('keeps a canceled edit canceled once the host call has ended; Runware cannot cancel, so the result it billed is kept for the owner', async () => {
    const relay = await startAsync({ latencyMs: 1000 })
    const id = await relay.createEditAsync()
    const canceled = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' }))
    expect(canceled).toMatchObject({ status: 'canceled', images: [] })
    expect(canceled.error?.message).toMatch(/Runware cannot stop an edit it has started/)
    await relay.jobs.settleAsync()

    const job = await relay.waitForEndAsync(id)
    expect(job.status).toBe('canceled')
    expect(job.images).toHaveLength(1)
    expect(job.cost).toBeGreaterThan(0)
    expect(relay.logs.some((line) => line.event === 'job.failed')).toBe(false)
    expect(relay.logs.some((line) => line.event === 'job.result_after_cancel')).toBe(true)
    const image = await relay.authedAsync(`/v1/edits/${id}/images/0`)
    expect(image.status).toBe(200)
    expect((await relay.authedAsync(`/v1/edits/${id}/images/1`)).status).toBe(404)
  })

  it('wakes a long poll when the edit is canceled', async () => {
    const relay = await startAsync({ latencyMs: 5000 })
    const id = await relay.createEditAsync()

    const polling = relay.authedAsync(`/v1/edits/${id}?wait=20`)
    await new Promise((resolve) => setTimeout(resolve, 100)) // let the poll start waiting (ordering only, nothing is timed)
    await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' })
    expect((await readJobAsync(await polling)).status).toBe('canceled')
  })

  it('leaves a finished edit and its images alone', async () => {
    const relay = await startAsync()
    const id = await relay.createEditAsync()
    await relay.waitForEndAsync(id)

    const job = await readJobAsync(await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' }))
    expect(job.status).toBe('succeeded')
    expect((await relay.authedAsync(`/v1/edits/${id}/images/0`)).status).toBe(200)
  })
})

describe('retention', () => {
  it('forgets a finished edit once its results expire', async () => {
    let clock = Date.now()
    const relay = await startAsync({ now: () => clock, env: { RESULT_TTL_SECONDS: '60' } })
    const id = await relay.createEditAsync()
    const job = await relay.waitForEndAsync(id)
    expect(job.expiresInSeconds).toBe(60)

    clock += 59_000
    expect((await relay.authedAsync(`/v1/edits/${id}/images/0`)).status).toBe(200)
    clock += 1_000
    expect((await relay.authedAsync(`/v1/edits/${id}`)).status).toBe(404)
    expect((await relay.authedAsync(`/v1/edits/${id}/images/0`)).status).toBe(404)
    expect(await relay.jobs.sweepAsync()).toBe(1)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
