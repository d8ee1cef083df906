import { describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { ConfigError } from '../../relay/config-error'
import { ERROR_MESSAGES } from '../../shared/errors'
import { editForm, itKeepsSecretsOutOfResponsesAndLogs, readErrorAsync, startRelayHarnessAsync, TOKEN } from './relay-harness'

/** The Figma plugin iframe has an opaque origin, so browsers send the literal `Origin: null`. */
const FIGMA_ORIGIN = { origin: 'null' }

function splitList(header: string | null): string[] {
  return (header ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '')
}

describe('access token', () => {
  it('answers 401 with the JSON error envelope when no token is sent', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/edits', { method: 'POST', body: editForm({ prompt: 'Make it blue' }) })

    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /)
    const error = await readErrorAsync(response)
    expect(error.code).toBe('unauthorized')
    expect(error.message).toMatch(/Authorization: Bearer/)
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('answers 401 with the JSON error envelope for a token the relay does not know', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }), 'not-the-token-zzzzzzzzzz')

    expect(response.status).toBe(401)
    const error = await readErrorAsync(response)
    expect(error.code).toBe('unauthorized')
    expect(error.message).toMatch(/not valid/)
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('answers 401 (not 400) to an Authorization header that is not a bearer token', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/edits/some-id', { headers: { authorization: `Basic ${btoa(`user:${TOKEN}`)}` } })

    expect(response.status).toBe(401)
    expect((await readErrorAsync(response)).code).toBe('unauthorized')
  })

  it('guards every edit route: GET, DELETE and image downloads need the token too', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync()
    await relay.waitForEndAsync(id)

    for (const [path, method] of [
      [`/v1/edits/${id}`, 'GET'],
      [`/v1/edits/${id}?wait=1`, 'GET'],
      [`/v1/edits/${id}/images/0`, 'GET'],
      [`/v1/edits/${id}`, 'DELETE']
    ] as const) {
      const response = await relay.requestAsync(path, { method })
      expect(response.status, `${method} ${path}`).toBe(401)
      expect((await readErrorAsync(response)).code).toBe('unauthorized')
    }
  })

  it('accepts the token case-insensitively prefixed with "bearer"', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/edits', {
      method: 'POST',
      headers: { authorization: `bearer ${TOKEN}` },
      body: editForm({ prompt: 'Make it blue' })
    })
    expect(response.status).toBe(202)
  })
})

describe('tokens from RELAY_TOKENS', () => {
  // RELAY_TOKENS takes any text of 16+ characters. A token with characters outside RFC 6750's
  // token68 set (e.g. "!" or "@") must either stop the relay at startup or work like any other.
  it('either refuses a token at startup or lets it create edits (never "valid" in health yet 401)', async () => {
    const token = 'p@ssw0rd!p@ssw0rd!'
    let accepted = true
    try {
      parseRelayConfig({ RELAY_TOKENS: token })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      accepted = false
    }
    if (!accepted) return

    const relay = await startRelayHarnessAsync({ env: { RELAY_TOKENS: token } })
    const health = await relay.requestAsync('/v1/health', { headers: { authorization: `Bearer ${token}` } })
    expect(((await health.json()) as { auth: string }).auth).toBe('valid')
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }), token)
    expect(response.status, JSON.stringify(await response.clone().json())).toBe(202)
  })
})

describe('CORS for the Figma plugin (Origin: null)', () => {
  it('answers the preflight for POST /v1/edits with 204 and allows any origin, the methods and the headers', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/edits', {
      method: 'OPTIONS',
      headers: {
        ...FIGMA_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type'
      }
    })

    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(splitList(response.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'delete']))
    expect(splitList(response.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['authorization', 'content-type'])
    )
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('answers the preflight for DELETE /v1/edits/{id} without a token', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/edits/abc', {
      method: 'OPTIONS',
      headers: { ...FIGMA_ORIGIN, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' }
    })

    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(splitList(response.headers.get('access-control-allow-methods'))).toContain('delete')
  })

  it('puts CORS headers on successful responses and exposes Location', async () => {
    const relay = await startRelayHarnessAsync()
    const created = await relay.authedAsync('/v1/edits', {
      method: 'POST',
      headers: FIGMA_ORIGIN,
      body: editForm({ prompt: 'Make it blue' })
    })

    expect(created.status).toBe(202)
    expect(created.headers.get('access-control-allow-origin')).toBe('*')
    expect(splitList(created.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['location', 'retry-after']))
    const { id } = (await created.json()) as { id: string }
    expect(created.headers.get('location')).toBe(`/v1/edits/${id}`)

    const polled = await relay.authedAsync(`/v1/edits/${id}?wait=10`, { headers: FIGMA_ORIGIN })
    expect(polled.status).toBe(200)
    expect(polled.headers.get('access-control-allow-origin')).toBe('*')

    const health = await relay.requestAsync('/v1/health', { headers: FIGMA_ORIGIN })
    expect(health.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('puts CORS headers on error responses too, so the plugin can read the error', async () => {
    const relay = await startRelayHarnessAsync()
    const unauthorized = await relay.requestAsync('/v1/edits', {
      method: 'POST',
      headers: FIGMA_ORIGIN,
      body: editForm({ prompt: 'Make it blue' })
    })
    const invalid = await relay.authedAsync('/v1/edits', { method: 'POST', headers: FIGMA_ORIGIN, body: editForm('{not json') })
    const missing = await relay.authedAsync('/v1/edits/no-such-edit', { headers: FIGMA_ORIGIN })
    const nowhere = await relay.requestAsync('/v2/anything', { headers: FIGMA_ORIGIN })

    for (const [response, status, code] of [
      [unauthorized, 401, 'unauthorized'],
      [invalid, 400, 'invalid_request'],
      [missing, 404, 'not_found'],
      [nowhere, 404, 'not_found']
    ] as const) {
      expect(response.status).toBe(status)
      expect(response.headers.get('access-control-allow-origin')).toBe('*')
      expect((await readErrorAsync(response)).code).toBe(code)
    }
  })
})

describe('unknown addresses', () => {
  it('answers 404 with the JSON envelope for a path the relay does not serve', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/nothing-here')
    expect(response.status).toBe(404)
    const error = await readErrorAsync(response)
    expect(error.code).toBe('not_found')
    expect(error.message).not.toBe(ERROR_MESSAGES.internal)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
