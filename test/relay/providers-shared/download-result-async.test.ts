import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { createOutboundFetch } from '../../../relay/net/outbound-fetch'
import { requestUrl } from '../../support/request-url'
import { DEFAULT_MAX_BYTES, downloadResultAsync } from '../../../relay/providers/shared/download-result-async'

const signal = new AbortController().signal
const HOST = 'http://127.0.0.1:7000'

interface Call {
  url: string
  headers: Record<string, string>
  redirect: RequestRedirect | undefined
}

/** A plain fetch answering from `answer`, recording what it was asked. */
function recordingFetch(answer: (url: string) => Response | Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = []
  const fetchImpl: typeof fetch = async (input, init = {}) => {
    const url = requestUrl(input)
    calls.push({ url, headers: Object.fromEntries(new Headers(init.headers)), redirect: init.redirect })
    return answer(url)
  }
  return { fetch: fetchImpl, calls }
}

const ok = (bytes: BodyInit, headers: Record<string, string> = {}): Response => new Response(bytes, { headers })

describe('downloadResultAsync: where it downloads from', () => {
  it('refuses a result URL that is not a URL, quoting at most 80 characters of it', async () => {
    const url = `not a url ${'x'.repeat(100)}`
    const error: unknown = await downloadResultAsync(url, { fetch: recordingFetch(() => ok('')).fetch, signal, hostBaseUrl: HOST }).catch(
      (caught: unknown) => caught
    )
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'provider_error', detail: `result URL is not a URL: ${url.slice(0, 80)}` })
    expect((error as AppError).cause).toBeInstanceOf(TypeError)
  })

  it("downloads plain http only from the host's own origin", async () => {
    const { fetch, calls } = recordingFetch(() => ok('img'))
    expect(await downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: `${HOST}/v1` })).toEqual(
      new TextEncoder().encode('img')
    )
    expect(calls.map((call) => call.url)).toEqual([`${HOST}/r.png`])
    // A blob: URL has the origin of the URL inside it, the host's here: the scheme is refused all the same.
    for (const url of ['http://127.0.0.1:7001/r.png', 'http://cdn.example.com/r.png', 'ftp://127.0.0.1:7000/r.png', `blob:${HOST}/r.png`]) {
      await expect(downloadResultAsync(url, { fetch, signal, hostBaseUrl: HOST })).rejects.toMatchObject({
        code: 'provider_error',
        detail: `refused to download a result from ${new URL(url).origin}`
      })
    }
    expect(calls).toHaveLength(1)
  })

  it('downloads https from another origin without the host headers', async () => {
    const { fetch, calls } = recordingFetch(() => ok('img'))
    await downloadResultAsync('https://cdn.example.com/r.png', { fetch, signal, hostBaseUrl: HOST, headers: { authorization: 'Key k' } })
    expect(calls).toEqual([{ url: 'https://cdn.example.com/r.png', headers: {}, redirect: 'manual' }])
  })

  it("sends the host's headers on its own origin", async () => {
    const { fetch, calls } = recordingFetch(() => ok('img'))
    await downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: HOST, headers: { authorization: 'Key k' } })
    expect(calls[0]!.headers).toEqual({ authorization: 'Key k' })
  })

  it('wraps a plain fetch in the outbound rules: a private address over https is never fetched', async () => {
    const { fetch, calls } = recordingFetch(() => ok('img'))
    await expect(downloadResultAsync('https://10.0.0.1/r.png', { fetch, signal, hostBaseUrl: HOST })).rejects.toMatchObject({
      code: 'provider_error',
      detail: expect.stringContaining('outbound request refused') as unknown
    })
    expect(calls).toEqual([])
  })

  it("follows redirects, each hop checked, keeping the host's headers on its own origin only", async () => {
    const { fetch, calls } = recordingFetch((url) =>
      url.endsWith('/r.png') ? new Response(null, { status: 302, headers: { location: 'https://cdn.example.com/final.png' } }) : ok('img')
    )
    const bytes = await downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: HOST, headers: { authorization: 'Key k' } })
    expect(bytes).toEqual(new TextEncoder().encode('img'))
    expect(calls.map(({ url, headers }) => [url, headers])).toEqual([
      [`${HOST}/r.png`, { authorization: 'Key k' }],
      ['https://cdn.example.com/final.png', {}]
    ])
  })

  it('uses an outbound fetch it is given as it is', async () => {
    const plain = recordingFetch(() => ok('img'))
    const publicCalls: string[] = []
    const outbound = createOutboundFetch({
      hostBaseUrl: HOST,
      fetch: plain.fetch,
      publicFetch: async (input) => {
        publicCalls.push(requestUrl(input))
        return ok('public')
      }
    })
    // Wrapped again, the other origin would go to the plain fetch instead of the given public one.
    const bytes = await downloadResultAsync('https://cdn.example.com/r.png', { fetch: outbound, signal, hostBaseUrl: HOST })
    expect(new TextDecoder().decode(bytes)).toBe('public')
    expect(publicCalls).toEqual(['https://cdn.example.com/r.png'])
    expect(plain.calls).toEqual([])
  })
})

describe('downloadResultAsync: what comes back', () => {
  it('joins the chunks of a streamed body in order', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2]))
        controller.enqueue(new Uint8Array([3]))
        controller.enqueue(new Uint8Array([4, 5, 6]))
        controller.close()
      }
    })
    const { fetch } = recordingFetch(() => new Response(body))
    expect(await downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: HOST })).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]))
  })

  it('fails as provider_unavailable when the network fails, with the error as cause', async () => {
    const failure = Object.assign(new Error('fetch failed'), { code: 'ECONNRESET' })
    const fetchImpl: typeof fetch = async () => {
      throw failure
    }
    const error: unknown = await downloadResultAsync(`${HOST}/r.png`, { fetch: fetchImpl, signal, hostBaseUrl: HOST }).catch(
      (caught: unknown) => caught
    )
    expect(error).toMatchObject({ code: 'provider_unavailable', detail: 'result download: ECONNRESET' })
    expect((error as AppError).cause).toBe(failure)
  })

  it.each([
    [403, 'result download answered 403 (expired?)'],
    [404, 'result download answered 404 (expired?)'],
    [410, 'result download answered 410 (expired?)'],
    [401, 'result download answered 401'],
    [500, 'result download answered 500']
  ])('fails as provider_error on a %i', async (status, detail) => {
    const { fetch } = recordingFetch(() => new Response('no', { status }))
    await expect(downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: HOST })).rejects.toMatchObject({
      code: 'provider_error',
      detail
    })
  })

  it('fails as provider_unavailable when the body is cut off, with its error as cause', async () => {
    const cut = new TypeError('terminated')
    let sent = false
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(cut)
        else controller.enqueue(new Uint8Array([1]))
        sent = true
      }
    })
    const { fetch } = recordingFetch(() => new Response(body))
    const error: unknown = await downloadResultAsync(`${HOST}/r.png`, { fetch, signal, hostBaseUrl: HOST }).catch(
      (caught: unknown) => caught
    )
    expect(error).toMatchObject({ code: 'provider_unavailable', detail: 'result download cut off' })
    expect((error as AppError).cause).toBe(cut)
  })
})

describe('downloadResultAsync: the size cap', () => {
  it('downloads a result of exactly maxBytes and refuses one byte more, declared or streamed', async () => {
    const { fetch } = recordingFetch((url) => ok(new Uint8Array(url.endsWith('/at.png') ? 8 : 9)))
    expect(await downloadResultAsync(`${HOST}/at.png`, { fetch, signal, hostBaseUrl: HOST, maxBytes: 8 })).toHaveLength(8)
    await expect(downloadResultAsync(`${HOST}/over.png`, { fetch, signal, hostBaseUrl: HOST, maxBytes: 8 })).rejects.toMatchObject({
      code: 'provider_error',
      detail: 'result over the 8 byte cap'
    })
    const declared = recordingFetch(() => ok(new Uint8Array(9), { 'content-length': '9' }))
    await expect(
      downloadResultAsync(`${HOST}/over.png`, { fetch: declared.fetch, signal, hostBaseUrl: HOST, maxBytes: 8 })
    ).rejects.toMatchObject({ code: 'provider_error', detail: 'result of 9 bytes is over the 8 byte cap' })
  })

  it('caps a result at 50 MiB by default', async () => {
    expect(DEFAULT_MAX_BYTES).toBe(50 * 1024 * 1024)
    // The declared length is checked against the cap before a byte is read; the bytes sent are few.
    const at = recordingFetch(() => ok(new Uint8Array(3), { 'content-length': String(DEFAULT_MAX_BYTES) }))
    expect(await downloadResultAsync(`${HOST}/r.png`, { fetch: at.fetch, signal, hostBaseUrl: HOST })).toHaveLength(3)
    const over = recordingFetch(() => ok(new Uint8Array(3), { 'content-length': String(DEFAULT_MAX_BYTES + 1) }))
    await expect(downloadResultAsync(`${HOST}/r.png`, { fetch: over.fetch, signal, hostBaseUrl: HOST })).rejects.toMatchObject({
      code: 'provider_error',
      detail: `result of ${DEFAULT_MAX_BYTES + 1} bytes is over the ${DEFAULT_MAX_BYTES} byte cap`
    })
  })
})
