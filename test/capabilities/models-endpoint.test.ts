import { describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import { ModelsResponse } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'

const TOKEN = 'models-token-0123456789'

function relayWith(env: Record<string, string>) {
  const logs: string[] = []
  const { app } = createRelay(parseRelayConfig({ RELAY_TOKENS: TOKEN, ...env }), {
    fetch,
    log: (event, fields) => logs.push(JSON.stringify({ event, ...fields }))
  })
  return { app, logs }
}

function editForm(request: Record<string, unknown>, images = 1): FormData {
  const form = new FormData()
  form.append('request', JSON.stringify(request))
  for (let index = 0; index < images; index += 1)
    form.append('image', new Blob([makePng(64, 48, index).slice()], { type: 'image/png' }), `r${index}.png`)
  return form
}

describe('GET /v1/models', () => {
  it('lists every host with whether it is enabled and what each model supports, and no key', async () => {
    const { app } = relayWith({ BFL_API_KEY: 'bfl_secret_key_123', COMFYUI_URL: 'http://127.0.0.1:8188' })
    const response = await app.request('/v1/models')
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).not.toContain('bfl_secret_key_123')
    const body = ModelsResponse.parse(JSON.parse(text))
    expect(body.defaultProvider).toBe('bfl')
    expect(body.providers.filter((provider) => provider.configured).map((provider) => provider.id)).toEqual(['bfl', 'comfyui'])
    const bfl = body.providers.find((provider) => provider.id === 'bfl')!
    expect(bfl.models.map((model) => model.id)).toEqual([
      'kontext-max',
      'kontext-pro',
      'flux2-flex',
      'flux2-pro',
      'flux2-max',
      'flux2-klein-4b',
      'flux2-klein-9b'
    ])
    expect(bfl.models[0]).toMatchObject({
      maxReferences: 4,
      outputFormats: ['png', 'jpeg', 'webp'],
      safetyTolerance: { min: 0, max: 6 },
      guidance: null
    })
    // FLUX.2 [flex]: free sizes up to 4 MP, priced by the megapixel, its steps and guidance offered.
    expect(bfl.models[2]).toMatchObject({
      maxReferences: 8,
      safetyTolerance: { min: 0, max: 5 },
      steps: { min: 1, max: 50 },
      guidance: { min: 1.5, max: 10 },
      output: { kind: 'free', step: 16, maxPixels: 4_000_000 },
      price: { firstMpUsd: 0.05, extraMpUsd: 0.05, inputMpUsd: 0.05 },
      priceUsd: 0.1,
      referencePixels: 4_000_000
    })
    expect(body.providers.find((provider) => provider.id === 'comfyui')!.models[0]).toMatchObject({
      id: 'kontext-dev',
      steps: { min: 1, max: 50 },
      safetyTolerance: null
    })
  })
})

describe('requests held to the chosen host’s offer', () => {
  const post = (app: ReturnType<typeof relayWith>['app'], form: FormData) =>
    app.request('/v1/edits', { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } })

  it.each([
    [{ prompt: 'make it blue', provider: 'fal' }, 1, 'not enabled on this relay. Available: bfl, comfyui'],
    [{ prompt: 'make it blue', provider: 'midjourney' }, 1, 'Unknown host "midjourney". Available on this relay: bfl, comfyui'],
    [
      { prompt: 'make it blue', model: 'kontext-ultra' },
      1,
      'Unknown model "kontext-ultra". Models: kontext-max, kontext-pro, kontext-dev, flux2-flex, flux2-pro, flux2-max, flux2-dev, flux2-klein-4b, flux2-klein-9b'
    ],
    [{ prompt: 'make it blue', model: 'kontext-dev' }, 1, 'does not serve kontext-dev. Available: kontext-max, kontext-pro'],
    [{ prompt: 'make it blue', safetyTolerance: 7 }, 1, 'safetyTolerance: must be at most 6'],
    [{ prompt: 'make it blue', steps: 20 }, 1, 'has no steps setting'],
    [{ prompt: 'make it blue', provider: 'comfyui', model: 'kontext-dev', outputFormat: 'jpeg' }, 1, 'returns png, not jpeg'],
    [{ prompt: 'make it blue', provider: 'comfyui', model: 'kontext-dev', promptUpsampling: true }, 1, 'cannot expand the prompt'],
    [{ prompt: 'make it blue' }, 5, 'at most 4 reference images']
  ])('answers 400 for %j with %i image(s), naming what is allowed', async (request, images, message) => {
    const { app } = relayWith({ BFL_API_KEY: 'bfl_secret_key_123', COMFYUI_URL: 'http://127.0.0.1:8188' })
    const response = await post(app, editForm(request, images))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining(message) } })
  })
})
