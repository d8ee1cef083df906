/**
 * Fault injection against every host's fake, table-driven over hosts × faults: a 429 storm, 5xx
 * (a 500 once, a 503 storm), a hang, a slow body, malformed JSON, a truncated image, a reset
 * connection (before and after the host took the job). Each case gets a fresh fake and relay, runs
 * one edit to its end, and checks: the job's error code, the submissions counted at the fake (never
 * a second one for the same edit), and that a result the host produced is never lost.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import { modelsOf, ProviderId } from '../../shared/models'
import { sleepAsync } from '../../shared/sleep-async'
import { FAKE_HOSTS } from '../fakes/fake-hosts'
import type { HostFault } from '../fakes/host-fault'
import { createRelaySession } from '../support/relay-session'
import { faultFetch, type FetchFault } from './fault-fetch'

const TOKEN = 'faults-token-0123456789abcdef'
/**
 * Short, so a hang or a slow body meets the deadline quickly; long enough that an edit that should
 * succeed or fail on its own (the fakes render a real image for each) still ends before it on a
 * busy two-core machine (1.5 s was seen to run out there).
 */
const DEADLINE_MS = 4_000

const FAULTS = [
  '429 storm',
  '500 once',
  '503 storm',
  'hang',
  'slow body',
  'malformed JSON',
  'truncated image',
  'reset',
  'reset after accept'
] as const
type FaultName = (typeof FAULTS)[number]

/** What the edit must end as: succeeded, or failed with this code. */
type Expected = 'succeeded' | 'rate_limited' | 'provider_unavailable' | 'provider_error' | 'timeout'

interface Injection {
  /** Fed to the fake's failNext (each with `times`), in the vocabulary every fake knows. */
  fake?: { fault: HostFault; times: number }
  /** Or done by the fault proxy in front of the fake: on the first host call matching `match`. */
  proxy?: { fault: FetchFault; match: (url: string, init: RequestInit | undefined) => boolean }
}

/** What the edit must end as (succeeded, or failed with this code), and the most submissions the fake may count for it. */
type Outcome = readonly [Expected, 0 | 1]

const isPost = (_url: string, init: RequestInit | undefined) => (init?.method ?? 'GET').toUpperCase() === 'POST'
const storm = (status: number): Injection => ({ fake: { fault: { kind: 'status', status, retryAfterSeconds: 1 }, times: 3 } })
const once = (fault: HostFault): Injection => ({ fake: { fault, times: 1 } })

/** How each fault is injected, the same on every host (test/fakes/host-fault.ts). */
const INJECTIONS: Record<FaultName, Injection> = {
  '429 storm': storm(429),
  '500 once': once({ kind: 'status', status: 500 }),
  '503 storm': storm(503),
  hang: once({ kind: 'hang' }),
  'slow body': { proxy: { fault: { kind: 'trickle', intervalMs: 100 }, match: isPost } },
  'malformed JSON': once({ kind: 'malformed' }),
  'truncated image': once({ kind: 'truncated-image' }),
  reset: once({ kind: 'reset' }),
  'reset after accept': once({ kind: 'reset-after-accept' })
}

/** ComfyUI's submit is `POST /prompt`; its uploads are POSTs too, which the proxy must let through. */
const onComfyPrompt = (url: string, init: RequestInit | undefined) => isPost(url, init) && /\/prompt$/.test(new URL(url).pathname)

/** Where a host needs the fault put elsewhere than INJECTIONS says. */
const OVERRIDES: Partial<Record<ProviderId, Partial<Record<FaultName, Injection>>>> = {
  comfyui: {
    'slow body': { proxy: { fault: { kind: 'trickle', intervalMs: 100 }, match: onComfyPrompt } }
  }
}

/**
 * Per host: what the relay must make of each fault (docs/relay-api.md, "Never paying twice": a 429
 * or 503 refusal is retried; after anything ambiguous Runware and ComfyUI are asked about the job's
 * id, the others fail rather than risk a second charge).
 */
const EXPECTED: Record<ProviderId, Record<FaultName, Outcome>> = {
  runware: {
    '429 storm': ['rate_limited', 0],
    // Runware is asked about the task's id after an ambiguous answer, and the task is sent again only when it has none.
    '500 once': ['succeeded', 1],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    'malformed JSON': ['succeeded', 1],
    'truncated image': ['provider_error', 1],
    reset: ['succeeded', 1],
    'reset after accept': ['succeeded', 1]
  },
  runflow: {
    '429 storm': ['rate_limited', 0],
    '500 once': ['provider_unavailable', 0],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    'malformed JSON': ['provider_error', 1],
    'truncated image': ['provider_error', 1],
    reset: ['provider_unavailable', 0],
    'reset after accept': ['provider_unavailable', 1]
  },
  bfl: {
    '429 storm': ['rate_limited', 0],
    '500 once': ['provider_unavailable', 0],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    'malformed JSON': ['provider_error', 1],
    'truncated image': ['provider_error', 1],
    reset: ['provider_unavailable', 0],
    'reset after accept': ['provider_unavailable', 1]
  },
  fal: {
    '429 storm': ['rate_limited', 0],
    '500 once': ['provider_unavailable', 0],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    // fal's fake takes no job when its submit answer is garbled.
    'malformed JSON': ['provider_error', 0],
    'truncated image': ['provider_error', 1],
    reset: ['provider_unavailable', 0],
    'reset after accept': ['provider_unavailable', 1]
  },
  replicate: {
    '429 storm': ['rate_limited', 0],
    '500 once': ['provider_unavailable', 0],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    'malformed JSON': ['provider_error', 1],
    'truncated image': ['provider_error', 1],
    reset: ['provider_unavailable', 0],
    'reset after accept': ['provider_unavailable', 1]
  },
  comfyui: {
    '429 storm': ['rate_limited', 0],
    // A fresh relay does not yet know this ComfyUI keeps the relay's prompt_id, so "not queued"
    // after an ambiguous submit is not trusted: the edit fails rather than risk a second run.
    '500 once': ['provider_unavailable', 0],
    '503 storm': ['provider_unavailable', 0],
    hang: ['timeout', 0],
    'slow body': ['timeout', 1],
    'malformed JSON': ['provider_error', 0],
    'truncated image': ['provider_error', 1],
    reset: ['provider_unavailable', 0],
    'reset after accept': ['succeeded', 1]
  }
}

interface CaseOutcome {
  host: ProviderId
  fault: FaultName
  expected: Expected
  got: string
  submissions: number
  duplicates: number
  /** The host produced a result the relay could reach, and the job did not deliver it. */
  lost: boolean
}

const outcomes: CaseOutcome[] = []

async function runCaseAsync(provider: ProviderId, faultName: FaultName): Promise<CaseOutcome> {
  const injection = OVERRIDES[provider]?.[faultName] ?? INJECTIONS[faultName]
  const [expected] = EXPECTED[provider][faultName]
  const host = await FAKE_HOSTS[provider]()
  const proxied = injection.proxy === undefined ? fetch : faultFetch(injection.proxy.match, injection.proxy.fault)
  const config = { ...parseRelayConfig({ RELAY_TOKENS: TOKEN, ...host.env, DEFAULT_PROVIDER: provider }), providerTimeoutMs: DEADLINE_MS }
  // Back-offs and Retry-After shortened, so a storm takes milliseconds; the deadline is real.
  const relay = createRelay(config, {
    fetch: proxied,
    log: () => undefined,
    sleepAsync: (ms, signal) => sleepAsync(Math.min(ms, 20), signal)
  })
  const session = createRelaySession({ sendAsync: async (path, init) => relay.app.request(path, init), token: TOKEN })
  try {
    if (injection.fake !== undefined) host.failNext(injection.fake.fault, injection.fake.times)
    const id = await session.createEditAsync({
      prompt: 'Make the sky purple, keep everything else',
      model: modelsOf(provider)[0],
      numImages: 1,
      seed: 7
    })
    const job = await session.waitForEndAsync(id)
    await relay.jobs.settleAsync()
    let lost = false
    if (job.status === 'succeeded') {
      // A succeeded job must hand over every image it promises.
      for (const [index] of job.images.entries()) {
        const image = await session.imageAsync(id, index)
        if (image.status !== 200 || (await image.arrayBuffer()).byteLength === 0) lost = true
      }
      if (job.images.length !== 1) lost = true
    } else if (expected === 'succeeded') {
      lost = true
    }
    return {
      host: provider,
      fault: faultName,
      expected,
      got: job.status === 'failed' ? (job.error?.code ?? 'failed') : job.status,
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
    const hosts = ProviderId.options
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

  for (const provider of ProviderId.options) {
    it.concurrent(
      `${provider}: every fault maps to its code, one submission at most, no result lost`,
      async () => {
        for (const fault of FAULTS) {
          const outcome = await runCaseAsync(provider, fault)
          outcomes.push(outcome)
        }
        const mine = outcomes.filter((o) => o.host === provider)
        expect(mine.map((o) => `${o.fault}: ${o.got}`)).toEqual(mine.map((o) => `${o.fault}: ${o.expected}`))
        for (const o of mine) {
          expect(o.submissions, `${o.fault}: submissions at the fake`).toBeLessThanOrEqual(EXPECTED[provider][o.fault][1])
          expect(o.duplicates, `${o.fault}: duplicate submissions of one job id`).toBe(0)
          expect(o.lost, `${o.fault}: a result the host produced was lost`).toBe(false)
        }
      },
      60_000
    )
  }
})
