import { describe, expect, it } from 'vitest'
import type { ModelCapabilities } from '../../shared/relay-api'
import { DEFAULT_OPTIONS, type EditOptions } from '../../shared/settings'
import { toEditRequest } from '../../shared/to-edit-request'

// A host with every setting, each range away from the schema's own bounds so a clamp shows.
const everything: ModelCapabilities = {
  id: 'kontext-dev',
  name: 'FLUX.1 Kontext [dev]',
  priceUsd: 0.01,
  price: { firstMpUsd: 0.01, extraMpUsd: 0, inputMpUsd: 0 },
  output: { kind: 'fixed', sizes: [{ width: 1024, height: 1024 }] },
  referencePixels: 1_000_000,
  maxInputPixels: 4_000_000,
  maxReferences: 2,
  maxVariants: 3,
  outputFormats: ['jpeg', 'webp'],
  safetyTolerance: { min: 1, max: 4, default: 2 },
  promptUpsampling: true,
  guidance: { min: 1.5, max: 20, default: 2.5 },
  steps: { min: 10, max: 50, default: 28 },
  outputQuality: { min: 20, max: 99, default: 95 },
  seedMax: 1000
}

const nothing: ModelCapabilities = {
  ...everything,
  outputFormats: ['png'],
  safetyTolerance: null,
  promptUpsampling: false,
  guidance: null,
  steps: null,
  outputQuality: null
}

const options = (changes: Partial<EditOptions>): EditOptions => ({ ...DEFAULT_OPTIONS, outputFormat: 'jpeg', ...changes })
const request = (changes: Partial<EditOptions>, capabilities = everything) =>
  toEditRequest('make it blue', options(changes), capabilities, undefined)

describe('building the request for a host, setting by setting', () => {
  it('sends no key for a setting the host lacks, nor for the relay’s default host', () => {
    const built = request({ seed: null, promptUpsampling: true, guidance: 7, steps: 30, outputQuality: 80, safetyTolerance: 3 }, nothing)
    // toStrictEqual, not toEqual: a key set to undefined would reach the relay as a setting.
    expect(built).toStrictEqual({ prompt: 'make it blue', model: 'kontext-dev', aspectRatio: 'auto', numImages: 1, outputFormat: 'png' })
    expect(Object.keys(built)).not.toContain('provider')
  })

  it('names the host when the designer chose one', () => {
    expect(toEditRequest('make it blue', options({}), nothing, 'fal').provider).toBe('fal')
  })

  it.each([
    [1, 1],
    [3, 3],
    [4, 3]
  ])('asks for %i variants as %i when the host makes at most 3', (asked, sent) => {
    expect(request({ numImages: asked }).numImages).toBe(sent)
  })

  it.each([
    [0, 0],
    [999, 999],
    [1000, 1000],
    [1001, 1000]
  ])('sends seed %i as %i under the host’s largest', (seed, sent) => {
    expect(request({ seed }).seed).toBe(sent)
  })

  it('keeps the format the host has, and falls back to its first otherwise', () => {
    expect(request({ outputFormat: 'webp' }).outputFormat).toBe('webp')
    expect(request({ outputFormat: 'png' }).outputFormat).toBe('jpeg')
  })

  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [4, 4],
    [5, 4]
  ])('clamps safety tolerance %i to %i', (asked, sent) => {
    expect(request({ safetyTolerance: asked }).safetyTolerance).toBe(sent)
  })

  it.each([
    [0, 1.5],
    [1.5, 1.5],
    [7.25, 7.25],
    [20, 20],
    [21, 20]
  ])('clamps guidance %d to %d, keeping fractions', (asked, sent) => {
    expect(request({ guidance: asked }).guidance).toBe(sent)
  })

  it.each([
    [1, 10],
    [10, 10],
    [30.4, 30],
    [30.6, 31],
    [50, 50],
    [60, 50]
  ])('clamps and rounds steps %d to %i', (asked, sent) => {
    expect(request({ steps: asked }).steps).toBe(sent)
  })

  it.each([
    [0, 20],
    [20, 20],
    [70.5, 71],
    [99, 99],
    [100, 99]
  ])('clamps and rounds quality %d to %i', (asked, sent) => {
    expect(request({ outputQuality: asked }).outputQuality).toBe(sent)
  })

  it('leaves out what the designer left to the host', () => {
    const built = request({ seed: null, guidance: null, steps: null, outputQuality: null, promptUpsampling: false })
    expect(Object.keys(built).sort()).toEqual(['aspectRatio', 'model', 'numImages', 'outputFormat', 'prompt', 'safetyTolerance'])
  })

  it('upsamples the prompt only when both the host and the designer want it', () => {
    expect(request({ promptUpsampling: true }).promptUpsampling).toBe(true)
    expect('promptUpsampling' in request({ promptUpsampling: false })).toBe(false)
    expect('promptUpsampling' in request({ promptUpsampling: true }, { ...everything, promptUpsampling: false })).toBe(false)
  })

  it('sends no quality for a PNG, which is lossless', () => {
    const withPng: ModelCapabilities = { ...everything, outputFormats: ['png', 'jpeg'] }
    expect('outputQuality' in request({ outputFormat: 'png', outputQuality: 80 }, withPng)).toBe(false)
    expect(request({ outputFormat: 'jpeg', outputQuality: 80 }, withPng).outputQuality).toBe(80)
  })

  it('sends each range-less setting only where the host has the range', () => {
    expect('guidance' in request({ guidance: 7 }, { ...everything, guidance: null })).toBe(false)
    expect('steps' in request({ steps: 30 }, { ...everything, steps: null })).toBe(false)
    expect('outputQuality' in request({ outputQuality: 80 }, { ...everything, outputQuality: null })).toBe(false)
    expect('safetyTolerance' in request({ safetyTolerance: 3 }, { ...everything, safetyTolerance: null })).toBe(false)
  })
})
