/**
 * The relay's HTTP contract, against the worker bundle (dist/worker.mjs) running in workerd with
 * its Durable Object, in front of the fake Runware on 127.0.0.1: the same answers the Node relay
 * gives (test/relay/*, test/team/*). One workerd serves the whole file; each test uses its own
 * owner where the ledger matters.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EditJob, Health, UsageResponse } from '../../shared/relay-api'
import { ALICE, BOB, errorOf, OPS, PLAIN_TOKEN, REFERENCE } from '../team/team-harness'
import { CAROL, itKeepsSecretsOutOfTheWorker, startWorkerRelayAsync, type WorkerRelay } from './worker-harness'

let relay: WorkerRelay

beforeAll(async () => {
  relay = await startWorkerRelayAsync()
}, 30_000)

afterAll(async () => {
  await relay?.close()
})

function splitList(header: string | null): string[] {
  return (header ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '')
}

describe('the worker in workerd: health and access', () => {
  it('answers /v1/health without a token, with Runware configured and the token status', async () => {
    const response = await relay.requestAsync('/v1/health')
    expect(response.status).toBe(200)
    const health = Health.parse(await response.json())
    expect(health).toMatchObject({ status: 'ok', apiVersion: 1, auth: 'missing', defaultProvider: 'runware' })
    expect(health.providers.filter((provider) => provider.configured).map((provider) => provider.id)).toEqual(['runware'])
    expect(Health.parse(await (await relay.requestAsync('/v1/health', {}, ALICE.token)).json()).auth).toBe('valid')
    expect(Health.parse(await (await relay.requestAsync('/v1/health', {}, PLAIN_TOKEN)).json()).auth).toBe('valid')
    expect(Health.parse(await (await relay.requestAsync('/v1/health', {}, 'not-the-token-zzzzzzzzzz')).json()).auth).toBe('invalid')
  })

  it('answers 401 with the JSON envelope and WWW-Authenticate, with no token or an unknown one, on every edit route', async () => {
    const none = await relay.requestAsync('/v1/edits', { method: 'POST', body: new FormData() })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect((await errorOf(none)).code).toBe('unauthorized')
    for (const [path, method] of [
      ['/v1/edits', 'POST'],
      ['/v1/edits/some-id', 'GET'],
      ['/v1/edits/some-id/images/0', 'GET'],
      ['/v1/edits/some-id', 'DELETE'],
      ['/v1/usage', 'GET']
    ] as const) {
      const response = await relay.requestAsync(path, { method }, 'not-the-token-zzzzzzzzzz')
      expect(response.status, `${method} ${path}`).toBe(401)
      expect((await errorOf(response)).code).toBe('unauthorized')
    }
    expect(relay.runware.requests).toHaveLength(0)
  })

  it('answers the CORS preflight from the Figma iframe (Origin: null) with 204, any origin, the methods and headers', async () => {
    const response = await relay.requestAsync('/v1/edits', {
      method: 'OPTIONS',
      headers: { origin: 'null', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(splitList(response.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'delete']))
    expect(splitList(response.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['authorization', 'content-type'])
    )
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('opens the test-only store route with RELAY_TEST_ROUTES=1, on a scratch object (the restart test checks it is closed otherwise)', async () => {
    const response = await relay.requestAsync('/__test/store/probe', {
      method: 'POST',
      body: JSON.stringify({ method: 'listJobsAsync', args: [] })
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ value: [], undefined: false })
  })
})

describe('the worker in workerd: bad requests', () => {
  it('answers 400 invalid_request to a body that is not multipart, to a request part that is not JSON, and to an edit with no image', async () => {
    const json = await relay.requestAsync(
      '/v1/edits',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Make it blue' }) },
      ALICE.token
    )
    expect(json.status).toBe(400)
    expect(await errorOf(json)).toEqual({ code: 'invalid_request', message: expect.stringMatching(/multipart/) })

    const notJson = new FormData()
    notJson.append('request', '{not json')
    notJson.append('image', new Blob([new Uint8Array(REFERENCE)], { type: 'image/png' }), 'frame.png')
    const badPart = await relay.requestAsync('/v1/edits', { method: 'POST', body: notJson }, ALICE.token)
    expect(badPart.status).toBe(400)
    expect((await errorOf(badPart)).code).toBe('invalid_request')

    const noImage = await relay.postEditAsync({ prompt: 'Make it blue' }, [], ALICE.token)
    expect(noImage.status).toBe(400)
    expect((await errorOf(noImage)).code).toBe('invalid_request')
    expect(relay.runware.requests).toHaveLength(0)
  })

  it('answers 404 not_found to a job that does not exist, and to another owner’s job', async () => {
    const missing = await relay.requestAsync('/v1/edits/00000000-0000-0000-0000-000000000000', {}, ALICE.token)
    expect(missing.status).toBe(404)
    expect((await errorOf(missing)).code).toBe('not_found')
    expect((await relay.requestAsync('/v1/edits/nope/images/0', {}, ALICE.token)).status).toBe(404)
    expect((await relay.requestAsync('/v1/edits/nope', { method: 'DELETE' }, ALICE.token)).status).toBe(404)

    const id = await relay.createEditAsync({ prompt: 'Make the sky purple' }, undefined, OPS.token)
    const foreign = await relay.requestAsync(`/v1/edits/${id}`, {}, ALICE.token)
    expect(foreign.status).toBe(404)
    expect((await errorOf(foreign)).code).toBe('not_found')
    expect((await relay.waitForEndAsync(id, OPS.token)).status).toBe('succeeded')
  })
})

describe('the worker in workerd: edits end to end', () => {
  it('runs an edit through the fake Runware: 202 with Location, ?wait to succeeded, then image bytes that decode', async () => {
    const response = await relay.postEditAsync(
      { prompt: 'Make the sky purple, keep everything else', numImages: 2 },
      undefined,
      ALICE.token
    )
    expect(response.status).toBe(202)
    const { id } = (await response.json()) as { id: string }
    expect(response.headers.get('location')).toBe(`/v1/edits/${id}`)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')

    const job = await relay.waitForEndAsync(id)
    expect(job).toMatchObject({ id, status: 'succeeded', provider: 'runware', model: 'kontext-max', cost: 0.16 })
    expect(job.images).toHaveLength(2)
    for (const [index, image] of job.images.entries()) {
      expect(image.url).toBe(`/v1/edits/${id}/images/${index}`)
      const download = await relay.requestAsync(image.url, {}, ALICE.token)
      expect(download.status).toBe(200)
      expect(download.headers.get('content-type')).toBe('image/png')
      const bytes = Buffer.from(await download.arrayBuffer())
      const png = PNG.sync.read(bytes)
      expect([png.width, png.height]).toEqual([image.width, image.height])
    }
    expect(relay.runware.accepted.length).toBeGreaterThanOrEqual(1)
    expect((await relay.requestAsync(`/v1/edits/${id}/images/2`, {}, ALICE.token)).status).toBe(404)
  })

  it('cancels a running edit: DELETE answers it canceled at once and it stays canceled; Runware cannot stop it, so the reservation is held until the host ends, then settled at its cost', async () => {
    relay.runware.setLatency(2_000)
    try {
      const id = await relay.createEditAsync({ prompt: 'Make the sky purple' }, undefined, BOB.token)
      const deleted = await relay.requestAsync(`/v1/edits/${id}`, { method: 'DELETE' }, BOB.token)
      expect(deleted.status).toBe(200)
      expect(EditJob.parse(await deleted.json())).toMatchObject({ id, status: 'canceled', error: { code: 'canceled' } })
      const polled = EditJob.parse(await (await relay.requestAsync(`/v1/edits/${id}?wait=1`, {}, BOB.token)).json())
      expect(polled.status).toBe('canceled')
      const usage = async () => UsageResponse.parse(await (await relay.requestAsync('/v1/usage', {}, BOB.token)).json()).owners[0]
      // The host keeps running (and bills): a cancel must not free the budget it will spend.
      expect(await usage()).toMatchObject({ owner: 'bob', edits: 1, spentUsd: 0, reservedUsd: 0.08 })
      let own = await usage()
      for (let poll = 0; poll < 100 && own?.reservedUsd !== 0; poll += 1) {
        await new Promise((done) => setTimeout(done, 100))
        own = await usage()
      }
      expect(own).toMatchObject({ owner: 'bob', edits: 1, reservedUsd: 0 })
      expect(own?.spentUsd).toBeGreaterThan(0)
      expect(EditJob.parse(await (await relay.requestAsync(`/v1/edits/${id}`, {}, BOB.token)).json()).status).toBe('canceled')
    } finally {
      relay.runware.setLatency(0)
    }
  })

  it('refuses an edit over the owner’s daily budget with 402 budget_exceeded, before the host is called', async () => {
    const before = relay.runware.requests.length
    // carol may spend 0.10 a day: one kontext-max edit (0.08) fits, a second does not.
    const first = await relay.createEditAsync({ prompt: 'Make the sky purple' }, undefined, CAROL.token)
    const second = await relay.postEditAsync({ prompt: 'Make the sky green' }, undefined, CAROL.token)
    expect(second.status).toBe(402)
    const error = await errorOf(second)
    expect(error.code).toBe('budget_exceeded')
    expect(error.message).toMatch(/\$0\.10/)
    expect((await relay.waitForEndAsync(first, CAROL.token)).status).toBe('succeeded')
    expect(relay.runware.requests.length - before).toBe(1)
  })

  it('answers /v1/usage: an owner sees itself, the operator sees every owner', async () => {
    const own = UsageResponse.parse(await (await relay.requestAsync('/v1/usage', {}, CAROL.token)).json())
    expect(own.scope).toBe('own')
    expect(own.owners).toEqual([
      {
        owner: 'carol',
        edits: 1,
        images: 1,
        spentUsd: 0.08,
        reservedUsd: 0,
        dailyBudgetUsd: 0.1,
        remainingUsd: 0.02,
        requestsPerMinute: 20
      }
    ])
    const all = UsageResponse.parse(await (await relay.requestAsync('/v1/usage', {}, OPS.token)).json())
    expect(all.scope).toBe('all')
    expect(all.owners.map((owner) => owner.owner)).toEqual(expect.arrayContaining(['alice', 'bob', 'ops', 'carol']))
    const bad = await relay.requestAsync('/v1/usage?day=yesterday', {}, CAROL.token)
    expect(bad.status).toBe(400)
  })
})

describe('the worker in workerd: restarts', () => {
  it('keeps a finished edit and its images across a workerd restart, and records an edit the restart cut off as interrupted', async () => {
    const storageDir = mkdtempSync(join(tmpdir(), 'kontext-do-'))
    try {
      const first = await startWorkerRelayAsync({ storageDir })
      let done: string
      let cut: string
      try {
        done = await first.createEditAsync({ prompt: 'Make the sky purple' }, undefined, ALICE.token)
        expect((await first.waitForEndAsync(done)).status).toBe('succeeded')
        first.runware.setLatency(30_000)
        cut = await first.createEditAsync({ prompt: 'Make the sky green' }, undefined, ALICE.token)
      } finally {
        await first.close()
      }
      const second = await startWorkerRelayAsync({ storageDir, bindings: { RELAY_TEST_ROUTES: '0' } })
      try {
        const closedRoute = await second.requestAsync('/__test/store/probe', {
          method: 'POST',
          body: JSON.stringify({ method: 'listJobsAsync', args: [] })
        })
        expect(closedRoute.status).toBe(404)
        const kept = EditJob.parse(await (await second.requestAsync(`/v1/edits/${done}`, {}, ALICE.token)).json())
        expect(kept.status).toBe('succeeded')
        const image = await second.requestAsync(`/v1/edits/${done}/images/0`, {}, ALICE.token)
        expect(image.status).toBe(200)
        expect(PNG.sync.read(Buffer.from(await image.arrayBuffer())).width).toBe(kept.images[0]!.width)
        const interrupted = EditJob.parse(await (await second.requestAsync(`/v1/edits/${cut}`, {}, ALICE.token)).json())
        expect(interrupted).toMatchObject({ status: 'failed', error: { code: 'interrupted' } })
        const own = UsageResponse.parse(await (await second.requestAsync('/v1/usage', {}, ALICE.token)).json()).owners[0]
        expect(own).toMatchObject({ owner: 'alice', edits: 2, reservedUsd: 0, spentUsd: 0.08 })
      } finally {
        await second.close()
      }
    } finally {
      rmSync(storageDir, { recursive: true, force: true })
    }
  }, 60_000)
})

itKeepsSecretsOutOfTheWorker()
