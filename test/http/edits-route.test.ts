import { describe, expect, it } from 'vitest'
import { EditJob } from '../../shared/relay-api'
import { editForm, itKeepsSecretsOutOfResponsesAndLogs, readErrorAsync, startRelayHarnessAsync, TOKEN } from '../relay/relay-harness'

describe('POST /v1/edits', () => {
  it('answers 202 with the job id and its Location', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }))
    expect(response.status).toBe(202)
    const body = (await response.json()) as { id: string; status: string }
    expect(body.status).toBe('queued')
    expect(response.headers.get('location')).toBe(`/v1/edits/${body.id}`)
    await relay.waitForEndAsync(body.id)
  })

  it('names every host variable when no host is configured', async () => {
    const relay = await startRelayHarnessAsync({ withRunware: false })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }))
    expect(response.status).toBe(503)
    expect(await readErrorAsync(response)).toEqual({
      code: 'provider_not_configured',
      message:
        'This relay has no image host configured. Whoever runs it must set RUNWARE_API_KEY or RUNFLOW_API_KEY or BFL_API_KEY or FAL_KEY or REPLICATE_API_TOKEN or COMFYUI_URL.'
    })
  })

  it('refuses a host this relay has not enabled, naming those it has', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue', provider: 'fal' }))
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toEqual({
      code: 'invalid_request',
      message: 'The host "fal" is not enabled on this relay. Available: runware.'
    })
    expect(relay.fake!.requests).toHaveLength(0)
  })

  it('refuses a host asked for by name on a relay with none enabled, saying so', async () => {
    const relay = await startRelayHarnessAsync({ withRunware: false })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue', provider: 'fal' }))
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toEqual({
      code: 'invalid_request',
      message: 'The host "fal" is not enabled on this relay. Available: none.'
    })
  })

  it('names the size limit in whole MB when the body is too large', async () => {
    const relay = await startRelayHarnessAsync({ config: { maxRequestBytes: 1.6 * 1048576 } })
    // The limit is checked before the body is parsed, so the bytes need not be an image.
    const big = new Uint8Array(1.7 * 1048576)
    const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }, [{ bytes: big, type: 'image/png' }]))
    expect(response.status).toBe(413)
    expect(await readErrorAsync(response)).toEqual({
      code: 'payload_too_large',
      message: 'The request is larger than this relay accepts (2 MB).'
    })
  })
})

describe('GET /v1/edits/:id', () => {
  it('takes wait from 0 to 25 seconds and refuses anything else', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync({ prompt: 'Make it blue' })
    await relay.waitForEndAsync(id)
    for (const wait of ['0', '25', '0.5']) {
      const response = await relay.authedAsync(`/v1/edits/${id}?wait=${wait}`)
      expect(response.status, wait).toBe(200)
      expect(EditJob.parse(await response.json()).status).toBe('succeeded')
    }
    for (const wait of ['-1', '25.5', '26', 'soon', 'Infinity', '-0.1']) {
      const response = await relay.authedAsync(`/v1/edits/${id}?wait=${wait}`)
      expect(response.status, wait).toBe(400)
      expect(await readErrorAsync(response)).toEqual({ code: 'invalid_request', message: 'wait must be a number of seconds from 0 to 25.' })
    }
  })
})

describe('GET /v1/edits/:id/images/:index', () => {
  it('serves an image privately cached for an hour, and 404 for an index that is not one or two digits', async () => {
    const relay = await startRelayHarnessAsync()
    const id = await relay.createEditAsync({ prompt: 'Make it blue' })
    const job = await relay.waitForEndAsync(id)
    const response = await relay.authedAsync(job.images[0]!.url)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('private, max-age=3600, immutable')
    expect(response.headers.get('content-type')).toBe(job.images[0]!.contentType)
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0)
    for (const index of ['1', '99']) {
      const missing = await relay.authedAsync(`/v1/edits/${id}/images/${index}`)
      expect(missing.status, index).toBe(404)
    }
    // Each of these would read as index 0 or 1 through Number() alone.
    for (const index of ['100', 'x', '-1', '0x', ' 0', '0 ', '0.0', '+0', '1e0']) {
      const refused = await relay.authedAsync(`/v1/edits/${id}/images/${encodeURIComponent(index)}`)
      expect(refused.status, index).toBe(404)
      expect(refused.headers.get('cache-control'), index).not.toBe('private, max-age=3600, immutable')
    }
  })
})

describe('DELETE /v1/edits/:id', () => {
  it('answers with the job as it stands', async () => {
    const relay = await startRelayHarnessAsync({ fake: { latencyMs: 60_000 } })
    const id = await relay.createEditAsync({ prompt: 'Make it blue' })
    const response = await relay.authedAsync(`/v1/edits/${id}`, { method: 'DELETE' })
    expect(response.status).toBe(200)
    expect(EditJob.parse(await response.json())).toMatchObject({ id, status: 'canceled' })
  })
})

describe('GET /v1/health', () => {
  it.each([
    ['valid', `bearer   ${TOKEN}  `],
    ['missing', `Bearer ${TOKEN} extra`],
    ['missing', `xBearer ${TOKEN}`],
    ['missing', 'Bearer'],
    ['invalid', `Bearer ${TOKEN}x`]
  ])('says auth is %s for Authorization: %s', async (auth, authorization) => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/health', { headers: { authorization } })
    expect(((await response.json()) as { auth: string }).auth).toBe(auth)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
