import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { createRelayClient } from '../../client/relay-client'
import { waitForEditAsync } from '../../client/wait-for-edit-async'

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>

function clientWith(handler: Handler) {
  const calls: Array<{ url: string; init: RequestInit }> = []
  const fakeFetch: typeof fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    calls.push({ url, init })
    return handler(url, init)
  }
  return { client: createRelayClient({ baseUrl: 'http://relay.test/', token: 'tok-123', fetch: fakeFetch }), calls }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const job = (status: string) => ({
  id: 'j1',
  status,
  provider: 'runware',
  model: 'kontext-max',
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  images: [],
  expiresInSeconds: 3600
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError'
  }
}

describe('the relay client', () => {
  it('sends the token and the images as multipart file parts', async () => {
    const { client, calls } = clientWith(() => json({ id: 'j1', status: 'queued' }, 202))
    await client.createEditAsync({ prompt: 'make it blue' }, [
      { bytes: new Uint8Array([1, 2, 3]), contentType: 'image/png', name: 'a.png' }
    ])
    const { url, init } = calls[0]!
    expect(url).toBe('http://relay.test/v1/edits')
    expect(new Headers(init.headers).get('authorization')).toBe('Bearer tok-123')
    const form = init.body as FormData
    expect(JSON.parse(form.get('request') as string)).toEqual({ prompt: 'make it blue' })
    const image = form.get('image') as File
    expect(image.type).toBe('image/png')
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('turns each kind of failure into a code the panel can explain', async () => {
    expect(await codeOf(clientWith(() => Promise.reject(new TypeError('fetch failed'))).client.healthAsync())).toBe('relay_unreachable')
    expect(await codeOf(clientWith(() => json({ error: { code: 'unauthorized', message: 'no' } }, 401)).client.getEditAsync('j1', 0))).toBe(
      'unauthorized'
    )
    expect(
      await codeOf(clientWith(() => json({ error: { code: 'insufficient_credit', message: 'no' } }, 402)).client.getEditAsync('j1', 0))
    ).toBe('insufficient_credit')
    expect(await codeOf(clientWith(() => new Response('<html>502 Bad Gateway</html>', { status: 502 })).client.getEditAsync('j1', 0))).toBe(
      'relay_incompatible'
    )
    expect(await codeOf(clientWith(() => json({ unexpected: true })).client.getEditAsync('j1', 0))).toBe('relay_incompatible')
    expect(await codeOf(clientWith(() => json({ error: { code: 'made_up', message: 'x' } }, 400)).client.getEditAsync('j1', 0))).toBe(
      'relay_incompatible'
    )
  })

  it('keeps the relay’s own message for a request it could not use', async () => {
    const { client } = clientWith(() => json({ error: { code: 'invalid_request', message: 'prompt: too short' } }, 400))
    await expect(client.createEditAsync({ prompt: 'x' }, [])).rejects.toThrow('prompt: too short')
  })

  it('refuses image URLs that do not point at the relay', async () => {
    const { client, calls } = clientWith(() => new Response(new Uint8Array([1])))
    expect(await codeOf(client.fetchImageAsync('https://cdn.example.com/x.png'))).toBe('relay_incompatible')
    expect(calls).toHaveLength(0)
  })
})

describe('following an edit to its end', () => {
  it('rides out a relay that drops off for a moment, so a paid result is not lost', async () => {
    let attempt = 0
    const { client, calls } = clientWith(() => {
      attempt += 1
      if (attempt <= 2) return Promise.reject(new TypeError('network down'))
      return json(job(attempt === 3 ? 'running' : 'succeeded'))
    })
    const statuses: string[] = []
    const result = await waitForEditAsync(client, 'j1', {
      signal: new AbortController().signal,
      sleepAsync: async () => undefined,
      now: () => 0,
      onUpdate: (update) => statuses.push(update.status)
    })
    expect(result.status).toBe('succeeded')
    expect(statuses).toEqual(['running', 'succeeded'])
    expect(calls.map((call) => call.url)).toEqual(Array(4).fill('http://relay.test/v1/edits/j1?wait=20'))
  })

  it('gives up once the relay has been unreachable past the grace period', async () => {
    let clock = 0
    const { client } = clientWith(() => Promise.reject(new TypeError('network down')))
    const waiting = waitForEditAsync(client, 'j1', {
      signal: new AbortController().signal,
      sleepAsync: async (ms) => void (clock += ms),
      now: () => clock,
      unreachableGraceMs: 10_000
    })
    expect(await codeOf(waiting)).toBe('relay_unreachable')
  })

  it('stops at once when canceled', async () => {
    const controller = new AbortController()
    const { client } = clientWith(
      (_url, init) =>
        new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    )
    const waiting = waitForEditAsync(client, 'j1', { signal: controller.signal, sleepAsync: async () => undefined, now: () => 0 })
    controller.abort(new Error('stop'))
    await expect(waiting).rejects.toThrow('stop')
  })
})
