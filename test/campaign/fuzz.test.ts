/**
 * Property-based fuzz of the relay's HTTP surface: 10,000 malformed requests in-process through
 * `app.request`; then up to 300 nearly valid edits (nearly-valid-requests.ts: valid for the host's
 * offer, or one or two fields at or past an edge), so that the fuzz reaches the job path and the
 * fake host on 127.0.0.1 (the malformed ones never get a 202); then a share over real HTTP
 * (@hono/node-server on 127.0.0.1, raw sockets) for the paths only a real server has: huge headers,
 * body limits with and without Content-Length, bodies cut off mid-way. Figures: responses >= 500
 * and crashes, both 0; nearly valid edits that got 202, more than 0.
 */
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { resolveOffer } from '../../relay/resolve-offer'
import { createRelay } from '../../relay/relay'
import { ErrorBody } from '../../shared/relay-api'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { ModelId } from '../../shared/models'
import { EditCreated } from '../../shared/relay-api'
import { FUZZ_TOKEN, fuzzRequest, toWebRequest, type FuzzRequest } from './malformed-requests'
import { nearlyValidRequest } from './nearly-valid-requests'

const IN_PROCESS_RUNS = 10_000
const HTTP_RUNS = 600
/** Nearly valid edits: each one the relay takes runs a job against the fake host, so fewer, and a time budget too. */
const NEARLY_VALID_RUNS = 300
const NEARLY_VALID_BUDGET_MS = 45_000
/** Small, so the body-limit path is reached without sending 50 MB. */
const MAX_REQUEST_BYTES = 256 * 1024

let runware: FakeRunware
let relay: ReturnType<typeof createRelay>
let config: ReturnType<typeof parseRelayConfig>
const logs: Array<{ event: string; fields: Record<string, unknown> }> = []

beforeAll(async () => {
  runware = await startFakeRunwareAsync({ apiKey: `rw-fuzz-${crypto.randomUUID()}` })
  config = {
    ...parseRelayConfig({
      RELAY_TOKENS: FUZZ_TOKEN,
      RUNWARE_API_KEY: runware.apiKey,
      RUNWARE_API_URL: runware.url,
      PROVIDER_TIMEOUT_SECONDS: '10'
    }),
    maxRequestBytes: MAX_REQUEST_BYTES
  }
  // No rate limit: the fuzz is about what the relay does with a request, not how many it takes.
  relay = createRelay(config, {
    fetch,
    log: (event, fields) => logs.push({ event, fields }),
    rateLimiter: { takeAsync: async () => ({ ok: true }) }
  })
})

afterAll(async () => {
  await relay.jobs.settleAsync()
  await runware.close()
})

interface Tally {
  requests: number
  crashes: number
  over500: number
  badEnvelopes: number
  statuses: Map<number, number>
  kinds: Map<string, number>
  failures: string[]
}

const newTally = (): Tally => ({
  requests: 0,
  crashes: 0,
  over500: 0,
  badEnvelopes: 0,
  statuses: new Map(),
  kinds: new Map(),
  failures: []
})

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

function describeCase(request: FuzzRequest): string {
  return `${request.method} ${request.path.slice(0, 80)} [${request.kind}] headers=${request.headers.map(([name, value]) => `${name}:${value.length}`).join(',')} body=${request.body?.length ?? 'none'}`
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function histogram(map: Map<number | string, number>): string {
  return [...map]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([key, n]) => `${key}×${n}`)
    .join(' ')
}

describe('fuzz: malformed requests', () => {
  it(`answers ${IN_PROCESS_RUNS} malformed requests in-process, none with a status >= 500, none crashing`, async () => {
    const tally = newTally()
    await fc
      .assert(
        fc.asyncProperty(fuzzRequest, async (request) => {
          tally.requests += 1
          count(tally.kinds, request.kind.split(' ').slice(0, 2).join(' '))
          let status: number
          let text: string
          let contentType: string
          try {
            const response = await relay.app.request(toWebRequest(request))
            status = response.status
            contentType = response.headers.get('content-type') ?? ''
            text = await response.text()
          } catch (error) {
            tally.crashes += 1
            tally.failures.push(`crash: ${describeCase(request)}: ${String(error)}`)
            throw error
          }
          count(tally.statuses, status)
          if (status >= 500) {
            tally.over500 += 1
            tally.failures.push(`${status}: ${describeCase(request)}: ${text.slice(0, 200)}`)
            return false
          }
          if (status >= 400 && request.method.toUpperCase() !== 'HEAD') {
            // Every refusal is the documented envelope, in JSON.
            const envelope = /json/.test(contentType) ? ErrorBody.safeParse(JSON.parse(text)) : { success: false }
            if (!envelope.success) {
              tally.badEnvelopes += 1
              tally.failures.push(`no error envelope (${status}): ${describeCase(request)}: ${text.slice(0, 200)}`)
              return false
            }
          }
          return true
        }),
        { numRuns: IN_PROCESS_RUNS, seed: Number(process.env.FUZZ_SEED ?? 20250701) }
      )
      .catch((error: unknown) => {
        console.log(tally.failures.slice(0, 5).join('\n'))
        throw error
      })
    await relay.jobs.settleAsync()
    const unhandled = logs.filter((line) => line.event === 'http.unhandled')
    console.log(
      `fuzz (in-process): ${tally.requests} requests, ${tally.over500} responses >= 500, ${tally.crashes} crashes, ${unhandled.length} unhandled errors logged; statuses ${histogram(tally.statuses)}; bodies ${histogram(tally.kinds)}; ${runware.accepted.length} of them were valid edits the host ran`
    )
    expect(tally.requests).toBe(IN_PROCESS_RUNS)
    expect(tally.over500).toBe(0)
    expect(tally.crashes).toBe(0)
    expect(tally.badEnvelopes).toBe(0)
    expect(unhandled).toEqual([])
  }, 120_000)

  it(`answers up to ${NEARLY_VALID_RUNS} nearly valid edits (one or two fields at or past an edge, or none): some reach the job path (202), none >= 500`, async () => {
    const offers = Object.fromEntries(
      ModelId.options.map((model) => [model, resolveOffer(config, 'runware', model)]).filter(([, offer]) => offer !== undefined)
    )
    const tally = newTally()
    const accepted: string[] = []
    const wronglyRefused: string[] = []
    const started = Date.now()
    let skipped = 0
    const hostBefore = runware.accepted.length
    await fc
      .assert(
        fc.asyncProperty(nearlyValidRequest('runware', offers), async (request) => {
          // Bounded in time as well as in count: past the budget, the remaining runs send nothing.
          if (Date.now() - started > NEARLY_VALID_BUDGET_MS) {
            skipped += 1
            return true
          }
          tally.requests += 1
          count(tally.kinds, request.expectAccepted ? 'acceptable' : 'past an edge')
          const response = await relay.app.request(toWebRequest(request))
          const text = await response.text()
          count(tally.statuses, response.status)
          if (response.status >= 500) {
            tally.over500 += 1
            tally.failures.push(`${response.status}: ${request.kind}: ${text.slice(0, 200)}`)
            return false
          }
          if (response.status === 202) accepted.push(EditCreated.parse(JSON.parse(text)).id)
          // An acceptable edit may still wait its turn: 429 while the token has its most edits running.
          else if (request.expectAccepted && response.status !== 429)
            wronglyRefused.push(`${response.status} ${request.kind}: ${text.slice(0, 200)}`)
          else if (
            response.status >= 400 &&
            request.method.toUpperCase() !== 'HEAD' &&
            !ErrorBody.safeParse(parseOrUndefined(text)).success
          ) {
            tally.badEnvelopes += 1
            tally.failures.push(`no error envelope (${response.status}): ${request.kind}`)
            return false
          }
          return true
        }),
        { numRuns: NEARLY_VALID_RUNS, seed: Number(process.env.FUZZ_SEED ?? 20250701) + 2 }
      )
      .catch((error: unknown) => {
        console.log(tally.failures.slice(0, 5).join('\n'))
        throw error
      })
    await relay.jobs.settleAsync()
    const ended = new Map<string, number>()
    for (const id of accepted) {
      const job = await relay.store.getJobAsync(id)
      count(ended, job?.status === 'failed' ? `failed (${job.error?.code})` : String(job?.status))
    }
    const unhandled = logs.filter((line) => line.event === 'http.unhandled')
    console.log(
      `fuzz (nearly valid): ${tally.requests} requests in ${Math.round((Date.now() - started) / 1000)} s (${skipped} skipped past the time budget), ${accepted.length} got 202 and reached the job path, ${runware.accepted.length - hostBefore} host tasks run, ${tally.over500} responses >= 500, ${wronglyRefused.length} acceptable ones refused; statuses ${histogram(tally.statuses)}; cases ${histogram(tally.kinds)}; jobs ended ${histogram(ended)}`
    )
    if (wronglyRefused.length > 0) console.log(wronglyRefused.slice(0, 5).join('\n'))
    expect(tally.requests).toBeGreaterThan(0)
    expect(accepted.length).toBeGreaterThan(0)
    expect(tally.over500).toBe(0)
    expect(tally.badEnvelopes).toBe(0)
    expect(wronglyRefused).toEqual([])
    expect(unhandled).toEqual([])
  }, 120_000)

  it(`answers ${HTTP_RUNS} malformed requests over real HTTP (huge headers, body limits, cut bodies), none >= 500, the server still up`, async () => {
    const server = serve({ fetch: relay.app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const tally = newTally()
    let unanswered = 0
    const transports = ['content-length', 'content-length', 'chunked', 'oversize', 'oversize-chunked', 'huge-header', 'cut'] as const
    const cases = fc.sample(fc.tuple(fuzzRequest, fc.constantFrom(...transports), fc.nat()), {
      numRuns: HTTP_RUNS,
      seed: Number(process.env.FUZZ_SEED ?? 20250701) + 1
    })
    try {
      const queue = [...cases]
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
            const [request, transport, cut] = next
            tally.requests += 1
            count(tally.kinds, transport)
            const answer = await sendRawAsync(port, request, transport, cut)
            if (answer === undefined) {
              unanswered += 1
              continue
            }
            count(tally.statuses, answer.status)
            if (answer.status >= 500) {
              tally.over500 += 1
              tally.failures.push(`${answer.status} over ${transport}: ${describeCase(request)}: ${answer.text.slice(0, 300)}`)
            }
          }
        })
      )
      // Still serving after all of it.
      const health = await fetch(`http://127.0.0.1:${port}/v1/health`)
      expect(health.status).toBe(200)
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
    }
    await relay.jobs.settleAsync()
    const unhandled = logs.filter((line) => line.event === 'http.unhandled')
    console.log(
      `fuzz (real HTTP): ${tally.requests} requests, ${tally.over500} responses >= 500, 0 crashes (server answered health afterwards), ${unhandled.length} unhandled errors logged, ${unanswered} connections the client cut before an answer; statuses ${histogram(tally.statuses)}; transports ${histogram(tally.kinds)}`
    )
    if (tally.failures.length > 0) console.log(tally.failures.slice(0, 5).join('\n'))
    expect(tally.requests).toBe(HTTP_RUNS)
    expect(tally.over500).toBe(0)
    expect(unhandled).toEqual([])
    // The body limit and the header limit were both reached.
    expect(tally.statuses.get(413) ?? 0).toBeGreaterThan(0)
    expect(tally.statuses.get(431) ?? 0).toBeGreaterThan(0)
  }, 120_000)
})

/** Writes one request on a raw socket and reads the status line of the answer (undefined: none). */
async function sendRawAsync(
  port: number,
  request: FuzzRequest,
  transport: string,
  cut: number
): Promise<{ status: number; text: string } | undefined> {
  let body = Buffer.from(request.body ?? new Uint8Array(0))
  if (transport === 'oversize' || transport === 'oversize-chunked')
    body = Buffer.concat([body, Buffer.alloc(MAX_REQUEST_BYTES + 1024, 0x41)])
  const headers = request.headers.filter(([name]) => name !== 'host')
  if (transport === 'huge-header') headers.push(['x-huge', 'h'.repeat(20_000 + (cut % 50_000))])
  const chunked = transport === 'chunked' || transport === 'oversize-chunked'
  const method = /^[A-Za-z]+$/.test(request.method) ? request.method : 'POST'
  const target = request.path.startsWith('/') ? request.path : `/${request.path}`
  const head =
    `${method} ${target.replace(/[^\x21-\x7e]/g, (ch) => encodeURIComponent(ch))} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    (chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${body.length}\r\n`) +
    '\r\n'
  let payload = chunked
    ? Buffer.concat([
        ...chunksOf(body, 16_384).flatMap((chunk) => [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
        Buffer.from('0\r\n\r\n')
      ])
    : body
  if (transport === 'cut') payload = payload.subarray(0, payload.length === 0 ? 0 : cut % payload.length)
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), 5_000)
    socket.on('data', (data: Buffer) => received.push(data))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(received).toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      resolve(match === null ? undefined : { status: Number(match[1]), text })
    })
    socket.write(Buffer.from(head, 'latin1'))
    socket.write(payload, () => {
      if (transport === 'cut') socket.end()
    })
  })
}

function chunksOf(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < buffer.length; offset += size) chunks.push(buffer.subarray(offset, offset + size))
  return chunks
}
