/**
 * Child process: runs edits through the real relay (in-process Hono app, the host's real adapter)
 * against the polling hosts' strict test fakes, each edit with its own fake and a latency drawn at
 * random, and reports when the relay learned that each job had finished. The fakes run in a
 * process of their own (bench/polling-fakes-process.ts), so their image rendering never delays the
 * relay's timers here.
 *
 * How "knowing" is read: the relay's fetch is wrapped and every host call's send and answer times
 * are kept. The job finishes at the fake's clock start plus the latency the fake was given; the
 * fakes process logs when each submit arrived and was answered, and the clock starts just before
 * the answer (Replicate's: on arrival). The relay knows when it sends the first host call after that moment (the poll that
 * finds it done), or at once if a call was already held open across it (Replicate's
 * `Prefer: wait`). Times are to the send, so the fakes' own image rendering is not counted; add
 * one round trip to the host for production.
 *
 * Each edit runs once a schedule, against fakes with the same latency: with the relay's schedule as
 * it is, and with every wait capped at 500 or 250 ms (what `pollAsync` does with that `capMs`).
 */
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseRelayConfig } from '../relay/config'
import { createRelay } from '../relay/relay'
import { catalogueCapabilities } from '../shared/catalogue-capabilities'
import { toEditRequest } from '../shared/to-edit-request'
import type { ModelId } from '../shared/models'
import { DEFAULT_OPTIONS } from '../shared/settings'
import { sleepAsync } from '../shared/sleep-async'
import { TERMINAL_STATUSES } from '../shared/relay-api'
import type { FakeRequestTimes, FakesAnswer, FakesRequest } from './polling-fakes-process'
import { POLLING_HOSTS, type PollingHost } from './polling-hosts'
import { designPng } from './representative-image'
import { epochMs } from './stats'

/** 'now': the relay's schedule; a number: the same with every wait capped at that many ms. */
export type Schedule = 'now' | 500 | 250

export interface PollingOutcome {
  host: PollingHost
  schedule: Schedule
  latencyMs: number
  /** From the job finishing to the relay's poll that finds it (0: a held call was open). */
  delayMs: number
  /** Host calls from the submit's answer to the one that found the job finished. */
  polls: number
  /** The relay saw the job finished before the moment computed from the fake's log (within its timing): counted as 0 ms. */
  early?: boolean
  ok: boolean
  error?: string
}

const TOKEN = 'bench-token-0123456789abcdef'

interface Fakes {
  startAsync(host: PollingHost, latencyMs: number): Promise<{ env: Record<string, string>; closeAsync(): Promise<FakeRequestTimes[]> }>
  stop(): void
}

/** The fakes run in a child process of this one (bench/polling-fakes-process.ts). */
function startFakesProcessAsync(): Promise<Fakes> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'polling-fakes-process.mjs'), [], {
    env: { ...process.env, BENCH_POLLING_FAKES: '1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const waiting = new Map<string, (answer: FakesAnswer) => void>()
  const ask = (request: FakesRequest): Promise<FakesAnswer> =>
    new Promise((resolve) => {
      waiting.set(request.id, resolve)
      child.send(request)
    })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the fakes process exited (${code})`)))
    child.on('message', (answer: FakesAnswer | { type: 'ready' }) => {
      if (answer.type === 'ready') {
        resolve({
          async startAsync(host, latencyMs) {
            const id = randomUUID()
            const started = await ask({ type: 'start', id, host, latencyMs })
            if (started.type !== 'started')
              throw new Error(`could not start the ${host} fake: ${started.type === 'error' ? started.error : started.type}`)
            return {
              env: started.env,
              async closeAsync() {
                const closed = await ask({ type: 'close', id })
                return closed.type === 'closed' ? closed.requests : []
              }
            }
          },
          stop: () => child.kill()
        })
        return
      }
      waiting.get(answer.id)?.(answer)
      waiting.delete(answer.id)
    })
  })
}

interface Call {
  method: string
  path: string
  sent: number
  answered: number
  /** The host may hold the answer until the job ends (Replicate's `Prefer: wait`). */
  held: boolean
}

/**
 * Where each fake starts its clock: just before it answers the submit (after checking the input,
 * and for Runware and Runflow after rendering the result), except Replicate's, which starts on
 * arrival and may then hold the answer (`Prefer: wait`).
 */
const CLOCK_AT_ARRIVAL: ReadonlySet<PollingHost> = new Set(['replicate'])

/**
 * When the job finished, from the fake's own log of its submit (arrival, or answer for fakes that
 * start the clock after rendering), and which of the relay's host calls found it.
 */
export function readDelay(
  host: PollingHost,
  calls: readonly Call[],
  fakeRequests: readonly FakeRequestTimes[],
  latencyMs: number
): { delayMs: number; polls: number; early?: boolean } {
  const submit = fakeRequests.find((request) => request.method === 'POST' && (host !== 'comfyui' || request.path.endsWith('/prompt')))
  if (submit === undefined) throw new Error('the fake saw no submit')
  const finished = (CLOCK_AT_ARRIVAL.has(host) ? submit.arrived : submit.answered) + latencyMs
  const sorted = [...calls].sort((a, b) => a.sent - b.sent)
  const submitIndex = sorted.findIndex((call) => call.method === 'POST' && (host !== 'comfyui' || call.path.endsWith('/prompt')))
  for (let index = submitIndex; index < sorted.length; index += 1) {
    const call = sorted[index]!
    if (call.held && call.sent < finished && call.answered >= finished) return { delayMs: 0, polls: index - submitIndex }
    if (index > submitIndex && call.sent >= finished) return { delayMs: call.sent - finished, polls: index - submitIndex }
  }
  // Every call went out before the computed moment, yet the job ended: the fake's clock started a
  // little before its log says (a busy process). The relay knew at once: 0 ms.
  return { delayMs: 0, polls: sorted.length - 1 - submitIndex, early: true }
}

export async function runOneAsync(
  fakes: Fakes,
  host: PollingHost,
  schedule: Schedule,
  latencyMs: number,
  reference: Uint8Array
): Promise<PollingOutcome> {
  const fake = await fakes.startAsync(host, latencyMs)
  const calls: Call[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    const held = /^wait\b/i.test(new Headers(init?.headers).get('prefer') ?? '')
    const sent = epochMs()
    const response = await fetch(input, init)
    calls.push({ method, path: new URL(url).pathname, sent, answered: epochMs(), held })
    return response
  }
  const { provider } = POLLING_HOSTS[host]
  const config = parseRelayConfig({ RELAY_TOKENS: TOKEN, ...fake.env })
  const relay = createRelay(config, {
    fetch: recordingFetch,
    log: () => undefined,
    ...(schedule === 'now' ? {} : { sleepAsync: (ms: number, signal: AbortSignal) => sleepAsync(Math.min(ms, schedule), signal) })
  })
  let closed = false
  try {
    const model: ModelId = (['kontext-max', 'kontext-dev'] as const).find((id) => catalogueCapabilities(provider, id) !== undefined)!
    const request = toEditRequest(
      'Make the sky purple, keep everything else',
      { ...DEFAULT_OPTIONS, model },
      catalogueCapabilities(provider, model)!,
      provider
    )
    const form = new FormData()
    form.append('request', JSON.stringify(request))
    form.append('image', new Blob([reference.slice()], { type: 'image/png' }), 'reference-1.png')
    const headers = { authorization: `Bearer ${TOKEN}` }
    const answer = await relay.app.fetch(new Request('http://relay/v1/edits', { method: 'POST', headers, body: form }))
    if (answer.status !== 202) throw new Error(`the relay refused the edit: ${answer.status} ${await answer.text()}`)
    const created = (await answer.json()) as { id: string }
    let status = 'queued'
    let error: string | undefined
    const deadline = Date.now() + latencyMs + 60_000
    while (!TERMINAL_STATUSES.includes(status as never)) {
      if (Date.now() > deadline) throw new Error(`the edit did not finish in ${latencyMs / 1000 + 60} s`)
      const polled = await relay.app.fetch(new Request(`http://relay/v1/edits/${created.id}?wait=25`, { headers }))
      if (polled.status !== 200) throw new Error(`GET /v1/edits/{id} answered ${polled.status} ${await polled.text()}`)
      const job = (await polled.json()) as { status: string; error?: { code: string; message: string } }
      status = job.status
      error = job.error === undefined ? undefined : `${job.error.code}: ${job.error.message}`
    }
    await relay.jobs.settleAsync()
    const fakeRequests = await fake.closeAsync()
    closed = true
    if (status !== 'succeeded')
      return { host, schedule, latencyMs, delayMs: Number.NaN, polls: 0, ok: false, error: `${status} ${error ?? ''}` }
    if (process.env.BENCH_DEBUG_CALLS !== undefined) {
      const t0 = fakeRequests[0]?.arrived ?? 0
      process.stderr.write(
        `${host} ${schedule} L=${latencyMs}\n` +
          [
            ...fakeRequests.map((r) => `  fake  ${(r.arrived - t0).toFixed(0)}→${(r.answered - t0).toFixed(0)} ${r.method} ${r.path}`),
            ...calls.map((c) => `  relay ${(c.sent - t0).toFixed(0)}→${(c.answered - t0).toFixed(0)} ${c.method} ${c.path}`)
          ].join('\n') +
          '\n'
      )
    }
    return { host, schedule, latencyMs, ...readDelay(host, calls, fakeRequests, latencyMs), ok: true }
  } finally {
    if (!closed) {
      await relay.jobs.settleAsync()
      await fake.closeAsync()
    }
  }
}

export interface PlanItem {
  host: PollingHost
  latencyMs: number
}

if (process.send !== undefined && process.env.BENCH_POLLING_PLAN !== undefined) {
  const plan = JSON.parse(process.env.BENCH_POLLING_PLAN) as PlanItem[]
  const schedules = JSON.parse(process.env.BENCH_POLLING_SCHEDULES ?? '["now"]') as Schedule[]
  const spacingMs = Number(process.env.BENCH_POLLING_SPACING_MS ?? 300)
  // A small frame's reference (about 0.16 MP): under every host's inline limit (Runflow uploads over 1 MiB).
  const reference = designPng(512, 320, 3)
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'run') return
    void (async () => {
      const fakes = await startFakesProcessAsync()
      // How late this process's timers ran: if the machine is too busy, every delay above is inflated by about this much.
      const lag = monitorEventLoopDelay({ resolution: 10 })
      lag.enable()
      const outcomes = await Promise.all(
        plan.flatMap((item, index) =>
          schedules.map(async (schedule) => {
            // Edits start one after another, so the fakes' image rendering is spread out.
            await new Promise((resolve) => setTimeout(resolve, index * spacingMs))
            try {
              return await runOneAsync(fakes, item.host, schedule, item.latencyMs, reference)
            } catch (error) {
              return {
                host: item.host,
                schedule,
                latencyMs: item.latencyMs,
                delayMs: Number.NaN,
                polls: 0,
                ok: false,
                error: String(error)
              }
            }
          })
        )
      )
      lag.disable()
      fakes.stop()
      process.send!({ type: 'run', outcomes, lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6 })
    })()
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ type: 'ready' })
}
