/**
 * Issue 10, finding 1 and part of 4: the relay's outbound requests go only where docs/outbound.md
 * allows, attacked over the relay's HTTP API with a hostile Runware-shaped host on loopback
 * (hostile-runware-host.ts) and a canary "internal service" (canary-server.ts) that must see 0
 * connections.
 *
 * No traffic leaves 127.0.0.1: the relay's platform fetch here is undici on an Agent whose lookup
 * answers 127.0.0.1 for every name (so a relay that follows a name anywhere reaches loopback, and
 * no DNS query is sent), and the "public CDN" of the redirect test is an in-memory fetch.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Agent, fetch as undiciFetch } from 'undici'
import type { LookupFunction } from 'node:net'
import { parseRelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import { createNodePublicFetch, type ResolveAsync } from '../../relay/net/node-public-fetch'
import { EditJob, TERMINAL_STATUSES } from '../../shared/relay-api'
import { editForm, REFERENCE_PNG, TOKEN } from '../relay/relay-harness'
import { startCanaryAsync, type Canary } from './canary-server'
import { HOSTILE_PNG, startHostileRunwareAsync, type HostileRunwareHost } from './hostile-runware-host'
import { requestUrl } from '../support/request-url'

const everyNameIsLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}
const loopbackAgent = new Agent({ connect: { lookup: everyNameIsLoopback } })
/** The platform fetch of these tests: real HTTP, but every name connects to 127.0.0.1. */
const loopbackOnlyFetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
  undiciFetch(requestUrl(input), { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: loopbackAgent })) as unknown as typeof fetch

const loopbackResolver: ResolveAsync = async () => [{ address: '127.0.0.1', family: 4 }]

interface Setup {
  host: HostileRunwareHost
  canary: Canary
  logs: Array<{ event: string; fields: Record<string, unknown> }>
  runEditAsync(): Promise<EditJob>
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function setupAsync(publicFetch: typeof fetch = createNodePublicFetch({ resolveAsync: loopbackResolver }).fetch): Promise<Setup> {
  const host = await startHostileRunwareAsync()
  const canary = await startCanaryAsync()
  const config = parseRelayConfig({
    RELAY_TOKENS: TOKEN,
    RUNWARE_API_KEY: 'rw-hostile-test-key',
    RUNWARE_API_URL: host.url,
    PROVIDER_TIMEOUT_SECONDS: '20'
  })
  const logs: Setup['logs'] = []
  const relay = createRelay(config, { fetch: loopbackOnlyFetch, publicFetch, log: (event, fields) => logs.push({ event, fields }) })
  cleanups.push(async () => {
    await relay.jobs.settleAsync()
    await host.close()
    await canary.close()
  })
  const authorization = `Bearer ${TOKEN}`
  async function runEditAsync(): Promise<EditJob> {
    const created = await relay.app.request('/v1/edits', {
      method: 'POST',
      body: editForm({ prompt: 'Make the sky purple, keep everything else', provider: 'runware', model: 'kontext-pro' }, [REFERENCE_PNG]),
      headers: { authorization }
    })
    const body = (await created.json()) as { id?: string }
    expect(created.status, JSON.stringify(body)).toBe(202)
    for (let poll = 0; poll < 10; poll += 1) {
      const answer = await relay.app.request(`/v1/edits/${body.id}?wait=10`, { headers: { authorization } })
      const job = EditJob.parse(await answer.json())
      if (TERMINAL_STATUSES.includes(job.status)) return job
    }
    throw new Error('the edit did not end')
  }
  return { host, canary, logs, runEditAsync }
}

function failureDetails(logs: Setup['logs']): string {
  return logs
    .map((line) => JSON.stringify(line.fields))
    .filter((text) => text.includes('refused') || text.includes('cap'))
    .join('\n')
}

describe('result URLs go only where the outbound rules allow', () => {
  it('(a) does not follow a result URL on the host that redirects to an internal port', async () => {
    const { host, canary, logs, runEditAsync } = await setupAsync()
    host.behave({ kind: 'result-url', imageUrl: `${host.origin}/redirect?to=${encodeURIComponent(`${canary.url}/internal.png`)}` })
    const job = await runEditAsync()
    console.log(`(a) redirect to ${canary.url}: job ${job.status}, canary connections ${canary.connections()}`)
    expect(canary.connections()).toBe(0)
    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('provider_error')
    expect(failureDetails(logs)).toContain('outbound request refused')
  })

  it('(b) refuses an https result URL on 127.0.0.1', async () => {
    const { host, canary, runEditAsync } = await setupAsync()
    host.behave({ kind: 'result-url', imageUrl: `https://127.0.0.1:${canary.port}/internal.png` })
    const job = await runEditAsync()
    console.log(`(b) https://127.0.0.1:${canary.port}: job ${job.status}, canary connections ${canary.connections()}`)
    expect(canary.connections()).toBe(0)
    expect(job.error?.code).toBe('provider_error')
  })

  it('(c) refuses a result URL named localhost', async () => {
    const { host, canary, runEditAsync } = await setupAsync()
    host.behave({ kind: 'result-url', imageUrl: `https://localhost:${canary.port}/internal.png` })
    const job = await runEditAsync()
    console.log(`(c) https://localhost:${canary.port}: job ${job.status}, canary connections ${canary.connections()}`)
    expect(canary.connections()).toBe(0)
    expect(job.error?.code).toBe('provider_error')
  })

  it('(c) refuses a public-looking name that resolves to 127.0.0.1, on the address connected to', async () => {
    const asked: string[] = []
    const rebinding: ResolveAsync = async (hostname) => {
      asked.push(hostname)
      return [{ address: '127.0.0.1', family: 4 }]
    }
    const { host, canary, logs, runEditAsync } = await setupAsync(createNodePublicFetch({ resolveAsync: rebinding }).fetch)
    host.behave({ kind: 'result-url', imageUrl: `https://cdn.rebind.example.com:${canary.port}/internal.png` })
    const job = await runEditAsync()
    console.log(
      `(c) cdn.rebind.example.com → 127.0.0.1: job ${job.status}, canary connections ${canary.connections()}, names resolved ${JSON.stringify(asked)}`
    )
    expect(canary.connections()).toBe(0)
    expect(asked).toContain('cdn.rebind.example.com')
    expect(job.error?.code).toBe('provider_error')
    expect(failureDetails(logs)).toContain('resolves to 127.0.0.1')
  })

  it('follows a redirect to a public https URL, checking the hop, and refuses the next hop to an internal one', async () => {
    const seen: Array<{ url: string; redirect: string | undefined; authorization: string | null }> = []
    let canaryUrl = ''
    const publicCdn = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const url = requestUrl(input)
      seen.push({ url, redirect: init?.redirect, authorization: new Headers(init?.headers).get('authorization') })
      if (url === 'https://cdn.example.com/ok.png')
        return new Response(new Uint8Array(HOSTILE_PNG), { headers: { 'content-type': 'image/png' } })
      return new Response(null, { status: 302, headers: { location: `${canaryUrl}/internal.png` } })
    }) as typeof fetch
    const { host, canary, runEditAsync } = await setupAsync(publicCdn)
    canaryUrl = canary.url
    host.behave({ kind: 'result-url', imageUrl: `${host.origin}/redirect?to=${encodeURIComponent('https://cdn.example.com/ok.png')}` })
    const good = await runEditAsync()
    expect(good.status, JSON.stringify(good.error)).toBe('succeeded')
    expect(seen).toEqual([{ url: 'https://cdn.example.com/ok.png', redirect: 'manual', authorization: null }])

    host.behave({ kind: 'result-url', imageUrl: `${host.origin}/redirect?to=${encodeURIComponent('https://cdn.example.com/bounce')}` })
    const bounced = await runEditAsync()
    console.log(`public hop: ${good.status}; public hop then ${canary.url}: ${bounced.status}, canary connections ${canary.connections()}`)
    expect(bounced.error?.code).toBe('provider_error')
    expect(seen.map((call) => call.url)).toEqual(['https://cdn.example.com/ok.png', 'https://cdn.example.com/bounce'])
    expect(canary.connections()).toBe(0)
  })
})

describe('a submit is never re-sent where a redirect points', () => {
  it('(d) fails a submit answered 307 to another origin, without following or resubmitting', async () => {
    const { host, canary, runEditAsync } = await setupAsync()
    host.behave({ kind: 'redirect-submit', location: `${canary.url}/v1` })
    const job = await runEditAsync()
    console.log(
      `(d) submit 307 → ${canary.url}: job ${job.status} ${job.error?.code}, canary connections ${canary.connections()}, posts to the host ${host.posts()}`
    )
    expect(canary.connections()).toBe(0)
    expect(job.error?.code).toBe('provider_error')
    expect(host.posts()).toBe(1)
  })
})

describe('host answers are bounded', () => {
  it('stops reading a 300 MB answer at the cap, with bounded memory', async () => {
    const { host, logs, runEditAsync } = await setupAsync()
    const huge = 300 * 1024 * 1024
    host.behave({ kind: 'huge-answer', bytes: huge })
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 10)
    let job: EditJob
    try {
      job = await runEditAsync()
    } finally {
      clearInterval(sampler)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`
    console.log(
      `300 MiB answer: job ${job.status} ${job.error?.code}; host sent ${mib(host.sentBytes())} before the relay stopped; RSS ${mib(before)} → peak ${mib(peak)} (+${mib(peak - before)})`
    )
    expect(job.error?.code).toBe('provider_error')
    expect(failureDetails(logs)).toContain('byte cap')
    // The cap for Runware is 128 MiB (relay/relay.ts); socket buffers add a few MiB.
    expect(host.sentBytes()).toBeLessThan(160 * 1024 * 1024)
    expect(peak - before).toBeLessThan(768 * 1024 * 1024)
    expect(host.posts()).toBe(1)
  })
})
