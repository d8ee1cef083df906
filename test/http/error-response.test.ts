import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { errorBody, errorResponse, HTTP_STATUS } from '../../relay/http/error-response'
import { AppError, ERROR_MESSAGES, RelayErrorCode } from '../../shared/errors'

interface Logged {
  event: string
  fields: Record<string, unknown>
}

/** A one-route app whose handler throws `error`, answered by errorResponse as the relay's app does. */
async function answerAsync(error: unknown): Promise<{ response: Response; body: unknown; logs: Logged[] }> {
  const logs: Logged[] = []
  const app = new Hono()
  app.get('/', () => {
    throw error
  })
  app.onError((thrown, c) => errorResponse(thrown, c, (event, fields) => logs.push({ event, fields })))
  const response = await app.request('/')
  return { response, body: await response.json(), logs }
}

const EXPECTED_STATUS: Record<RelayErrorCode, number> = {
  unauthorized: 401,
  invalid_request: 400,
  invalid_image: 400,
  payload_too_large: 413,
  not_found: 404,
  provider_not_configured: 503,
  insufficient_credit: 402,
  rate_limited: 429,
  moderated: 422,
  provider_unavailable: 502,
  provider_error: 502,
  timeout: 504,
  canceled: 409,
  internal: 500,
  budget_exceeded: 402,
  interrupted: 503,
  relay_busy: 503
}

describe('errorBody', () => {
  it('wraps a code and message in the envelope, with the code’s own message by default', () => {
    expect(errorBody('timeout', 'Took too long.')).toEqual({ error: { code: 'timeout', message: 'Took too long.' } })
    expect(errorBody('not_found')).toEqual({ error: { code: 'not_found', message: ERROR_MESSAGES.not_found } })
  })
})

describe('errorResponse', () => {
  it('has a status for every relay error code', () => {
    expect(HTTP_STATUS).toEqual(EXPECTED_STATUS)
  })

  it.each(RelayErrorCode.options)('answers AppError %s with its status, code and message, and logs nothing', async (code) => {
    const { response, body, logs } = await answerAsync(new AppError(code, `Because of ${code}.`))
    expect(response.status).toBe(EXPECTED_STATUS[code])
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(body).toEqual({ error: { code, message: `Because of ${code}.` } })
    expect(response.headers.get('retry-after')).toBeNull()
    expect(logs).toEqual([])
  })

  it('sends Retry-After when the error carries one, 0 included', async () => {
    for (const seconds of [0, 1, 37]) {
      const { response, body } = await answerAsync(new AppError('rate_limited', 'Slow down.', { retryAfterSeconds: seconds }))
      expect(response.status).toBe(429)
      expect(response.headers.get('retry-after')).toBe(String(seconds))
      expect(body).toEqual({ error: { code: 'rate_limited', message: 'Slow down.' } })
    }
  })

  it.each([
    [400, 'invalid_request', 400],
    [401, 'unauthorized', 401],
    [404, 'not_found', 404],
    [408, 'timeout', 504],
    [413, 'payload_too_large', 413],
    [415, 'invalid_request', 400],
    [429, 'rate_limited', 429],
    [504, 'timeout', 504],
    [405, 'invalid_request', 400],
    [422, 'invalid_request', 400],
    [500, 'internal', 500],
    [503, 'internal', 500]
  ] as const)('maps an HTTPException %i to %s (%i), with the code’s own message', async (status, code, answered) => {
    const { response, body, logs } = await answerAsync(new HTTPException(status))
    expect(response.status).toBe(answered)
    expect(body).toEqual({ error: { code, message: ERROR_MESSAGES[code] } })
    expect(logs).toEqual([])
  })

  it('keeps an HTTPException’s own message only for invalid_request', async () => {
    expect((await answerAsync(new HTTPException(400, { message: 'Malformed JSON in request body' }))).body).toEqual({
      error: { code: 'invalid_request', message: 'Malformed JSON in request body' }
    })
    expect((await answerAsync(new HTTPException(401, { message: 'host says no' }))).body).toEqual({
      error: { code: 'unauthorized', message: ERROR_MESSAGES.unauthorized }
    })
    expect((await answerAsync(new HTTPException(503, { message: 'host text' }))).body).toEqual({
      error: { code: 'internal', message: ERROR_MESSAGES.internal }
    })
  })

  it('answers an AppError with a client-only code as an unhandled error', async () => {
    const { response, body, logs } = await answerAsync(new AppError('place_failed', 'Not for the relay.'))
    expect(response.status).toBe(500)
    expect(body).toEqual({ error: { code: 'internal', message: ERROR_MESSAGES.internal } })
    expect(logs).toHaveLength(1)
    expect(logs[0]!.event).toBe('http.unhandled')
    expect(logs[0]!.fields.error).toBe('AppError: Not for the relay.')
  })

  it('answers anything else 500 internal, keeping the error chain and stack in the log only', async () => {
    const error = new TypeError('host said secret things', { cause: new Error('socket closed') })
    const { response, body, logs } = await answerAsync(error)
    expect(response.status).toBe(500)
    expect(body).toEqual({ error: { code: 'internal', message: ERROR_MESSAGES.internal } })
    expect(JSON.stringify(body)).not.toContain('secret')
    expect(logs).toEqual([
      {
        event: 'http.unhandled',
        fields: { error: expect.stringMatching(/^TypeError: host said secret things: .*socket closed/), stack: error.stack }
      }
    ])
  })

  it('logs a thrown non-Error as its text, with no stack', async () => {
    // Hono hands only Errors to onError; the handler answers the string itself here.
    const logs: Logged[] = []
    const app = new Hono()
    app.get('/', (c) => errorResponse('just a string', c, (event, fields) => logs.push({ event, fields })))
    const response = await app.request('/')
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: { code: 'internal', message: ERROR_MESSAGES.internal } })
    expect(logs).toEqual([{ event: 'http.unhandled', fields: { error: 'just a string', stack: undefined } }])
  })
})
