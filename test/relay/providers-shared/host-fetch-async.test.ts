import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { answerCaps } from '../../../relay/net/answer-caps'
import { DEFAULT_ANSWER_MAX_BYTES, hostFetchAsync, readTextAsync } from '../../../relay/providers/shared/host-fetch-async'

const signal = new AbortController().signal

function failingFetch(error: unknown): typeof fetch {
  return async () => {
    throw error
  }
}

function coded(code: unknown, message = 'fetch failed'): Error {
  return Object.assign(new Error(message), { code })
}

/** A body served chunk by chunk, optionally failing after the last one (a connection cut mid-body). */
function streamed(chunks: Uint8Array[], options: { failWith?: unknown; headers?: Record<string, string> } = {}): Response {
  let index = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++])
      else if (options.failWith !== undefined) controller.error(options.failWith)
      else controller.close()
    }
  })
  return new Response(body, { headers: options.headers ?? {} })
}

describe('hostFetchAsync', () => {
  it("answers the host's response, sent with the caller's init and the signal", async () => {
    const response = new Response('ok')
    let seen: [unknown, RequestInit | undefined] | undefined
    const answer = await hostFetchAsync(
      async (url, init) => {
        seen = [url, init]
        return response
      },
      'https://host.test/x',
      { method: 'POST', body: 'b' },
      signal
    )
    expect(answer).toEqual({ kind: 'response', response })
    expect(seen).toEqual(['https://host.test/x', { method: 'POST', body: 'b', signal }])
  })

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])(
    'takes %s for a host never reached (safe to send again)',
    async (code) => {
      const error = new TypeError('fetch failed', { cause: coded(code) })
      expect(await hostFetchAsync(failingFetch(error), 'https://host.test', {}, signal)).toEqual({
        kind: 'network',
        reachedHost: false,
        detail: code,
        error
      })
    }
  )

  it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_HEADERS_TIMEOUT'])(
    'takes %s for a host that may have seen the request',
    async (code) => {
      const error = coded(code)
      expect(await hostFetchAsync(failingFetch(error), 'https://host.test', {}, signal)).toEqual({
        kind: 'network',
        reachedHost: true,
        detail: code,
        error
      })
    }
  )

  it('takes an error without a code for a host that may have seen the request', async () => {
    for (const error of [new Error('boom'), 'a string', null, undefined, { cause: null }]) {
      expect(await hostFetchAsync(failingFetch(error), 'https://host.test', {}, signal)).toEqual({
        kind: 'network',
        reachedHost: true,
        detail: 'network error',
        error
      })
    }
  })

  it('finds a code three causes deep, not four', async () => {
    const deepest = (code: string, depth: number): unknown => {
      let error: unknown = coded(code)
      for (let level = 0; level < depth; level += 1) error = new Error(`level ${level}`, { cause: error })
      return error
    }
    const three = await hostFetchAsync(failingFetch(deepest('ENOTFOUND', 3)), 'https://host.test', {}, signal)
    expect(three).toMatchObject({ reachedHost: false, detail: 'ENOTFOUND' })
    const four = await hostFetchAsync(failingFetch(deepest('ENOTFOUND', 4)), 'https://host.test', {}, signal)
    expect(four).toMatchObject({ reachedHost: true, detail: 'network error' })
  })

  it('takes the first string code on the cause chain, skipping codes that are not strings', async () => {
    const error = Object.assign(new Error('outer', { cause: coded('ECONNREFUSED') }), { code: 7 })
    expect(await hostFetchAsync(failingFetch(error), 'https://host.test', {}, signal)).toMatchObject({
      reachedHost: false,
      detail: 'ECONNREFUSED'
    })
    const outerFirst = new Error('outer', { cause: coded('ECONNREFUSED') })
    Object.assign(outerFirst, { code: 'ECONNRESET' })
    expect(await hostFetchAsync(failingFetch(outerFirst), 'https://host.test', {}, signal)).toMatchObject({
      reachedHost: true,
      detail: 'ECONNRESET'
    })
  })

  it("passes on the outbound guard's refusal as it is", async () => {
    const refusal = new AppError('provider_error', undefined, { detail: 'outbound request refused' })
    await expect(hostFetchAsync(failingFetch(refusal), 'https://host.test', {}, signal)).rejects.toBe(refusal)
  })

  it("throws the signal's reason once it is aborted, whatever the fetch threw", async () => {
    const controller = new AbortController()
    const reason = new AppError('canceled')
    controller.abort(reason)
    await expect(hostFetchAsync(failingFetch(coded('ECONNREFUSED')), 'https://host.test', {}, controller.signal)).rejects.toBe(reason)
  })
})

describe('readTextAsync', () => {
  it('decodes the body as UTF-8, characters split across chunks included', async () => {
    const bytes = new TextEncoder().encode('héllo ✓')
    const read = await readTextAsync(streamed([bytes.slice(0, 2), bytes.slice(2, 8), bytes.slice(8)]), signal)
    expect(read).toEqual({ ok: true, text: 'héllo ✓' })
  })

  it('ends the text with a replacement character when the body stops mid-character', async () => {
    const bytes = new TextEncoder().encode('a✓')
    expect(await readTextAsync(streamed([bytes.slice(0, 2)]), signal)).toEqual({ ok: true, text: 'a\uFFFD' })
  })

  it('reads an empty body as empty text', async () => {
    expect(await readTextAsync(new Response(null), signal)).toEqual({ ok: true, text: '' })
  })

  it('reads a body of exactly the cap and refuses one byte more', async () => {
    expect(await readTextAsync(streamed([new Uint8Array(4).fill(97)]), signal, { maxBytes: 4 })).toEqual({ ok: true, text: 'aaaa' })
    const over = readTextAsync(streamed([new Uint8Array(3), new Uint8Array(2)]), signal, { maxBytes: 4 })
    await expect(over).rejects.toMatchObject({
      code: 'provider_error',
      detail: 'host answer of more than 4 bytes is over the 4 byte cap; reading stopped'
    })
  })

  it('refuses a declared content-length over the cap before reading', async () => {
    const response = new Response('small', { headers: { 'content-length': '5' } })
    await expect(readTextAsync(response, signal, { maxBytes: 4 })).rejects.toMatchObject({
      code: 'provider_error',
      detail: 'host answer of 5 bytes (content-length) is over the 4 byte cap; reading stopped'
    })
  })

  it("takes the host's cap from the outbound fetch, and the caller's over it", async () => {
    const capped = (): Response => {
      const response = new Response('abcdef')
      answerCaps.set(response, 5)
      return response
    }
    await expect(readTextAsync(capped(), signal)).rejects.toMatchObject({
      detail: 'host answer of more than 5 bytes is over the 5 byte cap; reading stopped'
    })
    expect(await readTextAsync(capped(), signal, { maxBytes: 6 })).toEqual({ ok: true, text: 'abcdef' })
  })

  it('caps an answer at 16 MiB by default', async () => {
    expect(DEFAULT_ANSWER_MAX_BYTES).toBe(16 * 1024 * 1024)
    const at = new Response('x', { headers: { 'content-length': String(DEFAULT_ANSWER_MAX_BYTES) } })
    // The declared length is only checked against the cap; the one byte sent is what is read.
    expect(await readTextAsync(at, signal)).toEqual({ ok: true, text: 'x' })
    const over = new Response('x', { headers: { 'content-length': String(DEFAULT_ANSWER_MAX_BYTES + 1) } })
    await expect(readTextAsync(over, signal)).rejects.toMatchObject({
      detail: `host answer of ${DEFAULT_ANSWER_MAX_BYTES + 1} bytes (content-length) is over the ${DEFAULT_ANSWER_MAX_BYTES} byte cap; reading stopped`
    })
  })

  it('reports a body cut off mid-way rather than throwing', async () => {
    const cut = new TypeError('terminated')
    expect(await readTextAsync(streamed([new Uint8Array([97])], { failWith: cut }), signal)).toEqual({
      ok: false,
      detail: 'body cut off',
      error: cut
    })
  })
})
