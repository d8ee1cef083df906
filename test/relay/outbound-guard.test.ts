/**
 * The outbound rules (docs/outbound.md), piece by piece: which addresses count as public, which
 * URLs a host's outbound fetch allows, how it treats redirects, the Node connector's check on the
 * address actually connected to, and the byte caps on answers and downloads. Traffic goes to
 * 127.0.0.1 only; "public" names are resolved by injected resolvers or served by in-memory fetches.
 */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { refusalOf } from '../../relay/net/refusal-of'
import { createNodePublicFetch, type ResolveAsync } from '../../relay/net/node-public-fetch'
import { createOutboundFetch, MAX_REDIRECTS } from '../../relay/net/outbound-fetch'
import { isPublicAddress } from '../../relay/net/is-public-address'
import { downloadResultAsync } from '../../relay/providers/shared/download-result-async'
import { DEFAULT_ANSWER_MAX_BYTES, hostFetchAsync, readTextAsync } from '../../relay/providers/shared/host-fetch-async'
import { closeServerAsync, listenOnLoopbackAsync } from '../fakes/fake-http'
import { startCanaryAsync, type Canary } from '../campaign/canary-server'
import { requestUrl } from '../support/request-url'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function canaryAsync(): Promise<Canary> {
  const canary = await startCanaryAsync()
  cleanups.push(() => canary.close())
  return canary
}

/** A loopback server that redirects `/hop/N` to `/hop/N-1` … `/hop/0` (a PNG-ish body), and `/to?u=URL` anywhere. */
async function redirectorAsync(): Promise<{ origin: string; hits: () => number }> {
  let hits = 0
  const server: Server = createServer((request, response) => {
    hits += 1
    const url = new URL(request.url ?? '/', 'http://x')
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname)
    if (url.pathname === '/to') response.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end()
    else if (hop !== null && hop[1] !== '0') response.writeHead(302, { location: `/hop/${Number(hop[1]) - 1}` }).end()
    else response.writeHead(200, { 'content-type': 'text/plain' }).end('arrived')
  })
  const origin = await listenOnLoopbackAsync(server)
  cleanups.push(() => closeServerAsync(server))
  return { origin, hits: () => hits }
}

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`)
  return error
}

const signal = new AbortController().signal

describe('public addresses', () => {
  const refused = [
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '[::ffff:7f00:1]',
    '64:ff9b::a00:1',
    'ff02::1',
    'not-an-ip'
  ]
  const allowed = ['8.8.8.8', '93.184.216.34', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']
  it.each(refused)('refuses %s', (address) => expect(isPublicAddress(address)).toBe(false))
  it.each(allowed)('allows %s', (address) => expect(isPublicAddress(address)).toBe(true))
})

describe('which URLs a host may send the relay to', () => {
  const origin = 'http://127.0.0.1:8188'
  it.each([
    ['http://127.0.0.1:8188/view?x=1', undefined],
    ['https://cdn.example.com/a.png', undefined],
    ['https://93.184.216.34/a.png', undefined],
    ['http://cdn.example.com/a.png', 'http:'],
    ['http://127.0.0.1:9999/a.png', 'http:'],
    ['https://127.0.0.1:8188/a.png', 'not a public address'],
    ['https://[::1]/a.png', 'not a public address'],
    ['https://[::ffff:7f00:1]/a.png', 'not a public address'],
    ['https://169.254.169.254/latest/meta-data', 'not a public address'],
    ['https://2130706433/a.png', 'not a public address'],
    ['https://localhost/a.png', 'local name'],
    ['https://api.localhost./a.png', 'local name'],
    ['https://metadata.google.internal/a', 'local name'],
    ['https://printer.local/a', 'local name'],
    ['https://user:pw@cdn.example.com/a.png', 'credentials'],
    ['file:///etc/passwd', 'file:']
  ])('%s → %s', (url, reason) => {
    const refusal = refusalOf(new URL(url), origin)
    if (reason === undefined) expect(refusal).toBeUndefined()
    else expect(refusal).toContain(reason)
  })

  it.each([
    ['http://127.0.0.1:9999/v1/get_result?id=1', undefined],
    ['https://127.0.0.1:9999/a.png', 'not a public address'],
    ['http://127.0.0.2:8188/a.png', 'http:'],
    ['http://u:p@127.0.0.1:9999/', 'http:']
  ])("as the adapter's own URL (not a redirect): %s → %s", (url, reason) => {
    const refusal = refusalOf(new URL(url), origin, 'first')
    if (reason === undefined) expect(refusal).toBeUndefined()
    else expect(refusal).toContain(reason)
  })
})

describe("a host's outbound fetch", () => {
  it(`follows GET redirects on the host's origin, at most ${MAX_REDIRECTS} hops`, async () => {
    const server = await redirectorAsync()
    const outbound = createOutboundFetch({ hostBaseUrl: `${server.origin}/v1`, fetch })
    const response = await outbound(`${server.origin}/hop/${MAX_REDIRECTS}`)
    expect(await response.text()).toBe('arrived')
    const error = await rejectionOf(outbound(`${server.origin}/hop/${MAX_REDIRECTS + 1}`))
    expect(error.code).toBe('provider_error')
    expect(error.detail).toContain('redirects')
  })

  it('checks every hop: a redirect to another loopback port is refused before it is fetched', async () => {
    const server = await redirectorAsync()
    const canary = await canaryAsync()
    const outbound = createOutboundFetch({ hostBaseUrl: server.origin, fetch })
    const error = await rejectionOf(outbound(`${server.origin}/to?u=${encodeURIComponent(`${canary.url}/x`)}`))
    console.log(`redirect to ${canary.url}: ${error.code} (${error.detail}); canary connections ${canary.connections()}`)
    expect(error.code).toBe('provider_error')
    expect(canary.connections()).toBe(0)
  })

  it('sends a hop to another origin through the public fetch, without the caller’s keys', async () => {
    const server = await redirectorAsync()
    const calls: Array<{ url: string; headers: Headers; redirect: RequestRedirect | undefined }> = []
    const publicFetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      calls.push({ url: requestUrl(input), headers: new Headers(init?.headers), redirect: init?.redirect })
      return new Response('cdn bytes')
    }) as typeof fetch
    const outbound = createOutboundFetch({ hostBaseUrl: server.origin, fetch, publicFetch })
    const response = await outbound(`${server.origin}/to?u=${encodeURIComponent('https://cdn.example.com/r.png')}`, {
      headers: { authorization: 'Bearer host-key', 'x-key': 'host-key', accept: 'image/*' }
    })
    expect(await response.text()).toBe('cdn bytes')
    expect(
      calls.map((call) => [
        call.url,
        call.redirect,
        call.headers.get('authorization'),
        call.headers.get('x-key'),
        call.headers.get('accept')
      ])
    ).toEqual([['https://cdn.example.com/r.png', 'manual', null, null, 'image/*']])
  })

  it('never follows a redirect of a POST: the 3xx goes back to the adapter', async () => {
    const calls: string[] = []
    const platform = (async (input: Parameters<typeof fetch>[0]) => {
      calls.push(requestUrl(input))
      return new Response(null, { status: 307, headers: { location: 'http://127.0.0.1:1/stolen' } })
    }) as typeof fetch
    const outbound = createOutboundFetch({ hostBaseUrl: 'http://127.0.0.1:2/v1', fetch: platform })
    const response = await outbound('http://127.0.0.1:2/v1', { method: 'POST', body: '{}' })
    expect(response.status).toBe(307)
    expect(calls).toEqual(['http://127.0.0.1:2/v1'])
  })

  it('keeps a caller’s own redirect: "manual" (BFL polls with its key)', async () => {
    const server = await redirectorAsync()
    const outbound = createOutboundFetch({ hostBaseUrl: server.origin, fetch })
    const response = await outbound(`${server.origin}/hop/1`, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(server.hits()).toBe(1)
  })

  it('passes its refusal through hostFetchAsync as provider_error, never as "host not reached"', async () => {
    const outbound = createOutboundFetch({ hostBaseUrl: 'https://api.example.com', fetch })
    const error = await rejectionOf(hostFetchAsync(outbound, 'https://169.254.169.254/latest/meta-data', {}, signal))
    expect(error.code).toBe('provider_error')
    expect(error.detail).toContain('outbound request refused')
  })
})

describe("the Node connector's check on the address connected to", () => {
  it('refuses a name that resolves to loopback (DNS rebinding), before any connection', async () => {
    const canary = await canaryAsync()
    const asked: string[] = []
    const rebinding: ResolveAsync = async (hostname) => {
      asked.push(hostname)
      return [{ address: '127.0.0.1', family: 4 }]
    }
    const outbound = createOutboundFetch({
      hostBaseUrl: 'https://api.example.com',
      fetch,
      publicFetch: createNodePublicFetch({ resolveAsync: rebinding }).fetch
    })
    const error = await rejectionOf(hostFetchAsync(outbound, `https://cdn.example.com:${canary.port}/x`, {}, signal))
    console.log(`cdn.example.com → 127.0.0.1: ${error.code} (${error.detail}); canary connections ${canary.connections()}`)
    expect(asked).toEqual(['cdn.example.com'])
    expect(error.code).toBe('provider_error')
    expect(error.detail).toContain('resolves to 127.0.0.1')
    expect(canary.connections()).toBe(0)
  })

  it('refuses a name with one private address among public ones', async () => {
    const canary = await canaryAsync()
    const mixed: ResolveAsync = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 }
    ]
    const { fetch: publicFetch } = createNodePublicFetch({ resolveAsync: mixed })
    const error = await publicFetch(`http://mixed.example.com:${canary.port}/`).then(
      () => undefined,
      (reason: unknown) => reason
    )
    expect(String((error as { cause?: unknown }).cause)).toContain('resolves to 127.0.0.1')
    expect(canary.connections()).toBe(0)
  })

  it('checks IP literals by their text, since Node skips the lookup for them', async () => {
    const canary = await canaryAsync()
    const resolver: ResolveAsync = async () => [{ address: '93.184.216.34', family: 4 }]
    const { fetch: publicFetch } = createNodePublicFetch({ resolveAsync: resolver })
    const error = await publicFetch(`${canary.url}/x`).then(
      () => undefined,
      (reason: unknown) => reason
    )
    expect(String((error as { cause?: unknown }).cause)).toContain('not a public address')
    expect(canary.connections()).toBe(0)
  })

  it('connects where the check passes (control: the canary counts what reaches it)', async () => {
    const canary = await canaryAsync()
    const outbound = createOutboundFetch({ hostBaseUrl: canary.url, fetch })
    expect((await outbound(`${canary.url}/ok`)).status).toBe(200)
    expect(canary.connections()).toBe(1)
  })
})

/** A body of `bytes` bytes in 64 KiB chunks, generated as it is read. */
function streamedBody(bytes: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= bytes) {
        controller.close()
        return
      }
      const next = chunk.subarray(0, Math.min(chunk.byteLength, bytes - pulled))
      pulled += next.byteLength
      controller.enqueue(next)
    }
  })
  return { stream, pulled: () => pulled }
}

describe('answer caps (readTextAsync)', () => {
  const cap = 200_000
  it.each([
    ['just under', cap - 1, true],
    ['at', cap, true],
    ['just over', cap + 1, false]
  ] as const)('a streamed answer %s the cap (%i bytes)', async (_edge, bytes, ok) => {
    const body = streamedBody(bytes)
    const read = readTextAsync(new Response(body.stream), signal, { maxBytes: cap })
    if (ok) expect(await read).toEqual({ ok: true, text: 'A'.repeat(bytes) })
    else expect((await rejectionOf(read)).detail).toContain(`over the ${cap} byte cap`)
  })

  it.each([
    ['at', cap, true],
    ['just over', cap + 1, false]
  ] as const)('a content-length %s the cap is judged before reading', async (_edge, declared, ok) => {
    const body = streamedBody(declared)
    const response = new Response(body.stream, { headers: { 'content-length': String(declared) } })
    const read = readTextAsync(response, signal, { maxBytes: cap })
    if (ok) expect((await read).ok).toBe(true)
    else {
      expect((await rejectionOf(read)).code).toBe('provider_error')
      expect(body.pulled()).toBeLessThanOrEqual(64 * 1024)
    }
  })

  it(`stops a 300 MB answer at the default ${DEFAULT_ANSWER_MAX_BYTES} bytes`, async () => {
    const body = streamedBody(300 * 1024 * 1024)
    const error = await rejectionOf(readTextAsync(new Response(body.stream), signal))
    console.log(`300 MiB answer, default cap: read ${(body.pulled() / 1024 / 1024).toFixed(1)} MiB, then ${error.code}: ${error.detail}`)
    expect(error.code).toBe('provider_error')
    expect(body.pulled()).toBeLessThanOrEqual(DEFAULT_ANSWER_MAX_BYTES + 64 * 1024)
  })

  it("takes the host's cap from its outbound fetch", async () => {
    const platform = (async () => new Response(streamedBody(cap + 1).stream)) as typeof fetch
    const outbound = createOutboundFetch({ hostBaseUrl: 'http://127.0.0.1:3', fetch: platform, maxAnswerBytes: cap })
    const response = await outbound('http://127.0.0.1:3/v1')
    expect((await rejectionOf(readTextAsync(response, signal))).detail).toContain(`over the ${cap} byte cap`)
  })
})

describe('download caps (downloadResultAsync)', () => {
  const max = 100_000
  const hostBaseUrl = 'http://127.0.0.1:4'
  const serving = (body: () => Response) => (async () => body()) as typeof fetch

  it.each([
    ['just under', max - 1, true],
    ['at', max, true],
    ['just over', max + 1, false]
  ] as const)('a streamed result %s the cap (%i bytes)', async (_edge, bytes, ok) => {
    const download = downloadResultAsync(`${hostBaseUrl}/r.png`, {
      fetch: serving(() => new Response(streamedBody(bytes).stream)),
      signal,
      hostBaseUrl,
      maxBytes: max
    })
    if (ok) expect((await download).byteLength).toBe(bytes)
    else expect((await rejectionOf(download)).detail).toContain(`over the ${max} byte cap`)
  })

  it.each([
    ['at', max, true],
    ['just over', max + 1, false]
  ] as const)('a content-length %s the cap', async (_edge, declared, ok) => {
    const body = streamedBody(declared)
    const fetchImpl = serving(() => new Response(body.stream, { headers: { 'content-length': String(declared) } }))
    const download = downloadResultAsync(`${hostBaseUrl}/r.png`, { fetch: fetchImpl, signal, hostBaseUrl, maxBytes: max })
    if (ok) expect((await download).byteLength).toBe(declared)
    else {
      expect((await rejectionOf(download)).detail).toContain(`${declared} bytes is over the ${max} byte cap`)
      expect(body.pulled()).toBeLessThanOrEqual(64 * 1024)
    }
  })

  it('applies the outbound rules even when handed a plain fetch', async () => {
    const server = await redirectorAsync()
    const canary = await canaryAsync()
    const viaRedirect = downloadResultAsync(`${server.origin}/to?u=${encodeURIComponent(`${canary.url}/x.png`)}`, {
      fetch,
      signal,
      hostBaseUrl: server.origin
    })
    expect((await rejectionOf(viaRedirect)).code).toBe('provider_error')
    const https = downloadResultAsync(`https://127.0.0.1:${canary.port}/x.png`, { fetch, signal, hostBaseUrl: server.origin })
    expect((await rejectionOf(https)).code).toBe('provider_error')
    expect(canary.connections()).toBe(0)
  })
})
