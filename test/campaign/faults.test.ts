/**
 * Fault injection against every host's fake, table-driven over hosts × faults: a 429 storm, 5xx
 * (a 500 once, a 503 storm), a hang, a slow body, malformed JSON, a truncated image, a reset
 * connection (before and after the host took the job). Each case gets a fresh fake and relay, runs
 * one edit to its end, and checks: the job's error code, the submissions counted at the fake (never
 * a second one for the same edit), and that a result the host produced is never lost.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/create-relay'
import { modelsOf, type ProviderId } from '../../shared/models'
import { sleepAsync } from '../../shared/sleep-async'
import { EditJob, TERMINAL_STATUSES } from '../../shared/relay-api'
import { startFakeBflAsync } from '../fakes/bfl-server'
import { startFakeComfyuiAsync } from '../fakes/comfyui-server'
import { startFakeFalAsync } from '../fakes/fal-server'
import { makePng } from '../fakes/make-image'
import { startFakeReplicateAsync } from '../fakes/replicate-server'
import { startFakeRunflowAsync } from '../fakes/runflow-server'
import { startFakeRunwareAsync } from '../fakes/runware-server'
import { faultFetch, type FetchFault } from './fault-fetch'

const TOKEN = 'faults-token-0123456789abcdef'
/** Short, so a hang or a slow body meets the deadline quickly. */
const DEADLINE_MS = 1_500

const FAULTS = ['429 storm', '500 once', '503 storm', 'hang', 'slow body', 'malformed JSON', 'truncated image', 'reset', 'reset after accept'] as const
type FaultName = (typeof FAULTS)[number]

/** What the edit must end as: succeeded, or failed with this code. */
type Expected = 'succeeded' | 'rate_limited' | 'provider_unavailable' | 'provider_error' | 'timeout'

interface Injection {
  /** Fed to the fake's failNext (each with `times`). */
  fake?: { fault: unknown; times: number }
  /** Or done by the fault proxy in front of the fake: on the first host call matching `match`. */
  proxy?: { fault: FetchFault; match: (url: string, init: RequestInit | undefined) => boolean }
  expected: Expected
  /** The most submissions the fake may count for this one edit. */
  maxSubmissions: 0 | 1
}

interface Host {
  env: Record<string, string>
  submissions(): number
  /** Second submissions of the same job id, where the fake can tell. */
  duplicates(): number
  failNext(fault: unknown, times: number): void
  close(): Promise<void>
}

const isPost = (_url: string, init: RequestInit | undefined) => (init?.method ?? 'GET').toUpperCase() === 'POST'
const slowBody: Injection['proxy'] = { fault: { kind: 'trickle', intervalMs: 100 }, match: isPost }
const storm = (status: number): Injection['fake'] => ({ fault: { kind: 'status', status, retryAfterSeconds: 1 }, times: 3 })

/**
 * Per host: how each fault is injected, and what the relay must make of it (docs/relay-api.md, "Never paying
 * twice": a 429 or 503 refusal is retried; after anything ambiguous Runware and ComfyUI are asked
 * about the job's id, the others fail rather than risk a second charge).
 */
const TABLE: Record<ProviderId, { startAsync(): Promise<Host>; faults: Record<FaultName, Injection> }> = {
  runware: {
    async startAsync() {
      const fake = await startFakeRunwareAsync({ apiKey: `rw-faults-${randomUUID()}` })
      return { env: { RUNWARE_API_KEY: fake.apiKey, RUNWARE_API_URL: fake.url }, submissions: () => fake.accepted.length, duplicates: () => fake.duplicateSubmissions, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'succeeded', maxSubmissions: 1 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: slowBody, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'succeeded', maxSubmissions: 1 },
      'truncated image': { fake: { fault: { kind: 'truncated' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      reset: { fake: { fault: { kind: 'reset' }, times: 1 }, expected: 'succeeded', maxSubmissions: 1 },
      'reset after accept': { fake: { fault: { kind: 'reset-after-accept' }, times: 1 }, expected: 'succeeded', maxSubmissions: 1 }
    }
  },
  runflow: {
    async startAsync() {
      const fake = await startFakeRunflowAsync({ apiKey: `rf_live_faults_${randomUUID()}` })
      return { env: { RUNFLOW_API_KEY: fake.apiKey, RUNFLOW_API_URL: fake.url }, submissions: () => fake.submissions(), duplicates: () => 0, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: slowBody, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      'truncated image': { fake: { fault: { kind: 'truncated-result' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      reset: { fake: { fault: { kind: 'reset' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      'reset after accept': { fake: { fault: { kind: 'reset-after-accept' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 1 }
    }
  },
  bfl: {
    async startAsync() {
      const fake = await startFakeBflAsync({ apiKey: `bfl_faults_${randomUUID()}` })
      return { env: { BFL_API_KEY: fake.apiKey, BFL_API_URL: fake.url }, submissions: () => fake.submissions(), duplicates: () => 0, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: slowBody, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      'truncated image': { fake: { fault: { kind: 'truncated-sample' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      reset: { fake: { fault: { kind: 'reset' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      'reset after accept': { fake: { fault: { kind: 'reset-after-accept' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 1 }
    }
  },
  fal: {
    async startAsync() {
      const fake = await startFakeFalAsync({ key: `fal-key-id-${randomUUID()}:fal-key-secret-${randomUUID()}` })
      return { env: { FAL_KEY: fake.key, FAL_QUEUE_URL: fake.url, FAL_STORAGE_URL: fake.url }, submissions: () => fake.submissions(), duplicates: () => 0, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: slowBody, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'provider_error', maxSubmissions: 0 },
      'truncated image': { fake: { fault: { kind: 'truncated-image' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      reset: { fake: { fault: { kind: 'reset' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      'reset after accept': { fake: { fault: { kind: 'reset-after-accept' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 1 }
    }
  },
  replicate: {
    async startAsync() {
      const fake = await startFakeReplicateAsync()
      return { env: { REPLICATE_API_TOKEN: fake.token, REPLICATE_API_URL: fake.url }, submissions: () => fake.submissions(), duplicates: () => 0, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: slowBody, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      'truncated image': { fake: { fault: { kind: 'truncated-image' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      reset: { fake: { fault: { kind: 'reset' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      'reset after accept': { fake: { fault: { kind: 'reset-after-create' }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 1 }
    }
  },
  comfyui: {
    async startAsync() {
      const fake = await startFakeComfyuiAsync()
      return { env: { COMFYUI_URL: fake.url }, submissions: () => fake.accepted.length, duplicates: () => fake.duplicatePromptIds, failNext: (fault, times) => fake.failNext(fault as never, times), close: () => fake.close() }
    },
    faults: {
      '429 storm': { fake: storm(429), expected: 'rate_limited', maxSubmissions: 0 },
      // A fresh relay does not yet know this ComfyUI keeps the relay's prompt_id, so "not queued"
      // after an ambiguous submit is not trusted: the edit fails rather than risk a second run.
      '500 once': { fake: { fault: { kind: 'status', status: 500 }, times: 1 }, expected: 'provider_unavailable', maxSubmissions: 0 },
      '503 storm': { fake: storm(503), expected: 'provider_unavailable', maxSubmissions: 0 },
      hang: { fake: { fault: { kind: 'hang' }, times: 1 }, expected: 'timeout', maxSubmissions: 0 },
      'slow body': { proxy: { fault: { kind: 'trickle', intervalMs: 100 }, match: (url, init) => isPost(url, init) && /\/prompt$/.test(new URL(url).pathname) }, expected: 'timeout', maxSubmissions: 1 },
      'malformed JSON': { fake: { fault: { kind: 'malformed' }, times: 1 }, expected: 'provider_error', maxSubmissions: 0 },
      'truncated image': { fake: { fault: { kind: 'view-truncated' }, times: 1 }, expected: 'provider_error', maxSubmissions: 1 },
      // The fake has no reset before queuing: the fault proxy drops the /prompt connection.
      reset: { proxy: { fault: { kind: 'reset' }, match: (url, init) => isPost(url, init) && /\/prompt$/.test(new URL(url).pathname) }, expected: 'provider_unavailable', maxSubmissions: 0 },
      'reset after accept': { fake: { fault: { kind: 'lose-response' }, times: 1 }, expected: 'succeeded', maxSubmissions: 1 }
    }
  }
}

interface Outcome {
  host: ProviderId
  fault: FaultName
  expected: Expected
  got: string
  submissions: number
  duplicates: number
  /** The host produced a result the relay could reach, and the job did not deliver it. */
  lost: boolean
}

const outcomes: Outcome[] = []

async function runCaseAsync(provider: ProviderId, faultName: FaultName): Promise<Outcome> {
  const entry = TABLE[provider]
  const injection = entry.faults[faultName]
  const host = await entry.startAsync()
  const proxied = injection.proxy === undefined ? fetch : faultFetch(injection.proxy.match, injection.proxy.fault)
  const config = { ...parseRelayConfig({ RELAY_TOKENS: TOKEN, ...host.env, DEFAULT_PROVIDER: provider }), providerTimeoutMs: DEADLINE_MS }
  // Back-offs and Retry-After shortened, so a storm takes milliseconds; the deadline is real.
  const relay = createRelay(config, { fetch: proxied, log: () => undefined, sleepAsync: (ms, signal) => sleepAsync(Math.min(ms, 20), signal) })
  const authed = (init: RequestInit = {}) => ({ ...init, headers: { authorization: `Bearer ${TOKEN}` } })
  try {
    if (injection.fake !== undefined) host.failNext(injection.fake.fault, injection.fake.times)
    const form = new FormData()
    form.append('request', JSON.stringify({ prompt: 'Make the sky purple, keep everything else', model: modelsOf(provider)[0], numImages: 1, seed: 7 }))
    form.append('image', new Blob([new Uint8Array(makePng(64, 36, 7))], { type: 'image/png' }), 'frame.png')
    const created = await relay.app.request('/v1/edits', authed({ method: 'POST', body: form }))
    expect(created.status).toBe(202)
    const { id } = (await created.json()) as { id: string }
    let job: EditJob | undefined
    for (let poll = 0; poll < 20 && (job === undefined || !TERMINAL_STATUSES.includes(job.status)); poll += 1) {
      job = EditJob.parse(await (await relay.app.request(`/v1/edits/${id}?wait=10`, authed())).json())
    }
    await relay.jobs.settleAsync()
    let lost = false
    if (job?.status === 'succeeded') {
      // A succeeded job must hand over every image it promises.
      for (const [index] of job.images.entries()) {
        const image = await relay.app.request(`/v1/edits/${id}/images/${index}`, authed())
        if (image.status !== 200 || (await image.arrayBuffer()).byteLength === 0) lost = true
      }
      if (job.images.length !== 1) lost = true
    } else if (injection.expected === 'succeeded') {
      lost = true
    }
    return {
      host: provider,
      fault: faultName,
      expected: injection.expected,
      got: job?.status === 'failed' ? (job.error?.code ?? 'failed') : String(job?.status),
      submissions: host.submissions(),
      duplicates: host.duplicates(),
      lost
    }
  } finally {
    await relay.closeAsync(0)
    await host.close()
  }
}

describe('fault injection: hosts × faults', () => {
  afterAll(() => {
    const hosts = Object.keys(TABLE) as ProviderId[]
    const cell = (host: ProviderId, fault: FaultName) => {
      const outcome = outcomes.find((o) => o.host === host && o.fault === fault)
      if (outcome === undefined) return '—'
      return `${outcome.got === outcome.expected ? '' : '✗ '}${outcome.got} s${outcome.submissions}${outcome.lost ? ' LOST' : ''}`
    }
    const width = 26
    const lines = [
      `${'fault'.padEnd(20)}${hosts.map((host) => host.padEnd(width)).join('')}`,
      ...FAULTS.map((fault) => `${fault.padEnd(20)}${hosts.map((host) => cell(host, fault).padEnd(width)).join('')}`)
    ]
    const mapped = outcomes.filter((o) => o.got === o.expected).length
    const overSubmitted = outcomes.filter((o) => o.submissions > 1 || o.duplicates > 0).length
    const lost = outcomes.filter((o) => o.lost).length
    console.log(
      `faults: ${outcomes.length} cases (${hosts.length} hosts × ${FAULTS.length} faults), ${mapped} mapped to the expected code, ${overSubmitted} with a second submission for the same edit, ${lost} succeeded results lost (cells: outcome, sN = submissions counted at the fake)\n${lines.join('\n')}`
    )
  })

  for (const provider of Object.keys(TABLE) as ProviderId[]) {
    it.concurrent(`${provider}: every fault maps to its code, one submission at most, no result lost`, async () => {
      for (const fault of FAULTS) {
        const outcome = await runCaseAsync(provider, fault)
        outcomes.push(outcome)
      }
      const mine = outcomes.filter((o) => o.host === provider)
      expect(mine.map((o) => `${o.fault}: ${o.got}`)).toEqual(mine.map((o) => `${o.fault}: ${o.expected}`))
      for (const o of mine) {
        expect(o.submissions, `${o.fault}: submissions at the fake`).toBeLessThanOrEqual(TABLE[provider].faults[o.fault].maxSubmissions)
        expect(o.duplicates, `${o.fault}: duplicate submissions of one job id`).toBe(0)
        expect(o.lost, `${o.fault}: a result the host produced was lost`).toBe(false)
      }
    }, 60_000)
  }
})
