import { describe, expect, it } from 'vitest'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { toEditRequest } from '../../shared/to-edit-request'
import { ModelId, modelsOf, offerOf, ProviderId, PROVIDERS } from '../../shared/models'
import type { ModelsResponse } from '../../shared/relay-api'
import { DEFAULT_OPTIONS } from '../../shared/settings'
import { resolveChoice } from '../../ui/state/resolve-choice'

const capabilities = (provider: ProviderId, model: ModelId) => catalogueCapabilities(provider, model)!

describe('the catalogue', () => {
  it('gives every host at least one model, each with sane limits', () => {
    for (const provider of ProviderId.options) {
      expect(modelsOf(provider).length, provider).toBeGreaterThan(0)
      for (const model of modelsOf(provider)) {
        const offer = offerOf(provider, model)!
        expect(offer.maxReferences, `${provider} ${model}`).toBeGreaterThanOrEqual(1)
        expect(offer.variantsPerCall).toBeLessThanOrEqual(offer.maxVariants)
        expect(offer.outputFormats.length).toBeGreaterThan(0)
        if (offer.output.kind === 'fixed') expect(offer.output.sizes.length).toBeGreaterThan(0)
        else expect(offer.output.maxSide * offer.output.maxSide).toBeGreaterThanOrEqual(offer.output.maxPixels)
      }
    }
  })

  it('serves Kontext [max] on every paid host, FLUX.2 [flex] on four, and [dev]s on ComfyUI', () => {
    expect(ProviderId.options.filter((provider) => offerOf(provider, 'kontext-max') !== undefined)).toEqual([
      'runware',
      'runflow',
      'bfl',
      'fal',
      'replicate'
    ])
    expect(modelsOf('comfyui')).toEqual(['kontext-dev', 'flux2-dev'])
    expect(ProviderId.options.filter((provider) => offerOf(provider, 'flux2-flex') !== undefined)).toEqual([
      'runware',
      'bfl',
      'fal',
      'replicate'
    ])
    expect(PROVIDERS.bfl.offers['kontext-max'].safetyTolerance).toMatchObject({ min: 0, max: 6 })
    expect(PROVIDERS.replicate.offers['kontext-max'].safetyTolerance).toMatchObject({ max: 2 })
  })
})

describe('building the request for a host', () => {
  const options = {
    ...DEFAULT_OPTIONS,
    safetyTolerance: 5,
    guidance: 7,
    steps: 40,
    outputQuality: 70,
    promptUpsampling: true,
    outputFormat: 'webp' as const,
    numImages: 4
  }

  it('sends only what the host supports, within its ranges', () => {
    expect(toEditRequest('make it blue', options, capabilities('bfl', 'kontext-max'), 'bfl')).toEqual({
      prompt: 'make it blue',
      provider: 'bfl',
      model: 'kontext-max',
      aspectRatio: 'auto',
      numImages: 4,
      outputFormat: 'webp',
      safetyTolerance: 5,
      promptUpsampling: true
    })
    expect(toEditRequest('make it blue', options, capabilities('comfyui', 'kontext-dev'), undefined)).toEqual({
      prompt: 'make it blue',
      model: 'kontext-dev',
      aspectRatio: 'auto',
      numImages: 4,
      outputFormat: 'png',
      guidance: 7,
      steps: 40
    })
    expect(toEditRequest('make it blue', options, capabilities('runware', 'kontext-dev'), undefined)).toMatchObject({
      outputFormat: 'webp',
      outputQuality: 70,
      steps: 40,
      guidance: 7
    })
  })
})

describe('choosing host and model in the panel', () => {
  const models: ModelsResponse = {
    defaultProvider: 'runware',
    providers: ProviderId.options.map((id) => ({
      id,
      name: PROVIDERS[id].name,
      configured: id === 'runware' || id === 'comfyui',
      cancel: PROVIDERS[id].cancel,
      models: modelsOf(id).map((model) => capabilities(id, model))
    }))
  }

  it('uses the relay’s default host until the designer picks another', () => {
    const choice = resolveChoice(models, DEFAULT_OPTIONS)
    expect(choice).toMatchObject({ host: 'runware', explicitHost: undefined, capabilities: { id: 'kontext-max' } })
    expect(choice.hosts.map((host) => host.id)).toEqual(['runware', 'comfyui'])
  })

  it('falls back to a model the chosen host has', () => {
    const choice = resolveChoice(models, { ...DEFAULT_OPTIONS, provider: 'comfyui', model: 'kontext-max' })
    expect(choice).toMatchObject({ host: 'comfyui', explicitHost: 'comfyui', capabilities: { id: 'kontext-dev' } })
  })

  it('ignores a host the relay no longer enables', () => {
    expect(resolveChoice(models, { ...DEFAULT_OPTIONS, provider: 'fal' })).toMatchObject({ host: 'runware', explicitHost: undefined })
  })

  it('uses the catalogue while the relay cannot be asked', () => {
    expect(resolveChoice(undefined, DEFAULT_OPTIONS)).toMatchObject({
      host: undefined,
      capabilities: { id: 'kontext-max', maxReferences: 2 }
    })
  })
})
