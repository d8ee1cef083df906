import { describe, expect, it } from 'vitest'
import { Health } from '../../shared/relay-api'
import {
  API_KEY,
  editForm,
  itKeepsSecretsOutOfResponsesAndLogs,
  OTHER_TOKEN,
  readErrorAsync,
  startRelayHarnessAsync,
  TOKEN
} from './relay-harness'

async function readHealthAsync(response: Response): Promise<Health> {
  expect(response.status).toBe(200)
  return Health.parse(await response.json())
}

describe('GET /v1/health', () => {
  it('answers without a token and lists Runware as configured', async () => {
    const relay = await startRelayHarnessAsync()
    const health = await readHealthAsync(await relay.requestAsync('/v1/health'))

    expect(health).toMatchObject({ status: 'ok', apiVersion: 1, auth: 'missing', defaultProvider: 'runware' })
    expect(health.providers[0]).toEqual({
      id: 'runware',
      name: 'Runware',
      configured: true,
      models: ['kontext-max', 'kontext-pro', 'kontext-dev', 'flux2-flex', 'flux2-pro', 'flux2-max', 'flux2-klein-4b', 'flux2-klein-9b']
    })
    expect(health.providers.slice(1).map((provider) => [provider.id, provider.configured])).toEqual([
      ['runflow', false],
      ['bfl', false],
      ['fal', false],
      ['replicate', false],
      ['comfyui', false]
    ])
    expect(health.models.map((model) => model.id)).toEqual([
      'kontext-max',
      'kontext-pro',
      'kontext-dev',
      'flux2-flex',
      'flux2-pro',
      'flux2-max',
      'flux2-dev',
      'flux2-klein-4b',
      'flux2-klein-9b'
    ])
    expect(relay.fake!.requests, 'health does not call the host').toHaveLength(0)
  })

  it.each([
    ['valid', `Bearer ${TOKEN}`],
    ['valid', `Bearer ${OTHER_TOKEN}`],
    ['invalid', 'Bearer not-the-token-zzzzzzzzzz'],
    ['missing', undefined]
  ])('says auth is %s for Authorization: %s', async (auth, header) => {
    const relay = await startRelayHarnessAsync()
    const health = await readHealthAsync(
      await relay.requestAsync('/v1/health', header === undefined ? {} : { headers: { authorization: header } })
    )
    expect(health.auth).toBe(auth)
  })

  it('never contains the Runware API key, in the body or the headers', async () => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.requestAsync('/v1/health', { headers: { authorization: `Bearer ${TOKEN}` } })
    const text = await response.text()

    expect(text).not.toContain(API_KEY)
    expect([...response.headers].flat().join('\n')).not.toContain(API_KEY)
  })
})

describe('a relay without a provider key', () => {
  it('says in health that Runware is not configured and has no default host', async () => {
    const relay = await startRelayHarnessAsync({ withRunware: false })
    const health = await readHealthAsync(await relay.requestAsync('/v1/health', { headers: { authorization: `Bearer ${TOKEN}` } }))

    expect(health.auth).toBe('valid')
    expect(health.defaultProvider).toBeNull()
    expect(health.providers.every((provider) => !provider.configured)).toBe(true)
  })

  it('answers an edit with 503 provider_not_configured naming the variable to set', async () => {
    const relay = await startRelayHarnessAsync({ withRunware: false })
    const response = await relay.postEditAsync(editForm({ prompt: 'Make the sky purple' }))

    expect(response.status).toBe(503)
    expect(await readErrorAsync(response)).toEqual({ code: 'provider_not_configured', message: expect.stringMatching(/RUNWARE_API_KEY/) })
    expect([...relay.store.values()]).toHaveLength(0)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
