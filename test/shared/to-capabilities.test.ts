import { describe, expect, it } from 'vitest'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { offerOf } from '../../shared/models'
import { ModelCapabilities } from '../../shared/relay-api'
import { toCapabilities } from '../../shared/to-capabilities'

describe('a host’s capabilities for one model', () => {
  it('lists every setting of the offer under the model’s name, and nothing else', () => {
    // toStrictEqual: a key dropped to undefined would pass toEqual and leave the panel without the setting.
    expect(catalogueCapabilities('runware', 'kontext-dev')).toStrictEqual({
      id: 'kontext-dev',
      name: 'FLUX.1 Kontext [dev]',
      priceUsd: 0.0105,
      price: { firstMpUsd: 0.0105, extraMpUsd: 0, inputMpUsd: 0 },
      output: { kind: 'fixed', sizes: KONTEXT_DEV_SIZES.map(({ width, height }) => ({ width, height })) },
      referencePixels: 1_000_000,
      maxInputPixels: 4 * 2048 * 2048,
      maxReferences: offerOf('runware', 'kontext-dev')!.maxReferences,
      maxVariants: 4,
      outputFormats: ['png', 'jpeg', 'webp'],
      safetyTolerance: null,
      promptUpsampling: offerOf('runware', 'kontext-dev')!.promptUpsampling,
      guidance: { min: 1, max: 20, default: 2.5 },
      steps: { min: 1, max: 50, default: 28 },
      outputQuality: { min: 20, max: 99, default: 95 },
      seedMax: 4_294_967_295
    })
    expect(catalogueCapabilities('bfl', 'kontext-max')).toMatchObject({
      name: 'FLUX.1 Kontext [max]',
      safetyTolerance: { min: 0, max: 6, default: 2 },
      promptUpsampling: true,
      guidance: null,
      steps: null
    })
  })

  it('hands out a copy of the formats, so a caller cannot change the catalogue', () => {
    const offer = offerOf('bfl', 'kontext-pro')!
    const capabilities = toCapabilities('kontext-pro', offer)
    expect(capabilities.outputFormats).toEqual(offer.outputFormats)
    expect(capabilities.outputFormats).not.toBe(offer.outputFormats)
  })

  it('has none for a model the host does not serve', () => {
    expect(catalogueCapabilities('comfyui', 'kontext-max')).toBeUndefined()
  })

  it('reads a relay from before FLUX.2 (no price rule, sizes or reference sizes) as the Kontext it serves', () => {
    const old = {
      id: 'kontext-pro',
      name: 'FLUX.1 Kontext [pro]',
      priceUsd: 0.04,
      maxReferences: 2,
      maxVariants: 4,
      outputFormats: ['png'],
      safetyTolerance: null,
      promptUpsampling: false,
      guidance: null,
      steps: null,
      outputQuality: null,
      seedMax: 100
    }
    const read = ModelCapabilities.parse(old)
    expect(read.price).toEqual({ firstMpUsd: 0.04, extraMpUsd: 0, inputMpUsd: 0 })
    expect(read.output).toEqual({ kind: 'fixed', sizes: KONTEXT_SIZES.map(({ width, height }) => ({ width, height })) })
    expect(read.referencePixels).toBe(1_000_000)
    expect(read.maxInputPixels).toBe(4 * 2048 * 2048)
    // A relay that sends them is read as it says.
    const sent = { price: { firstMpUsd: 0.05, extraMpUsd: 0.05, inputMpUsd: 0.05 }, referencePixels: 4_000_000, maxInputPixels: 9_000_000 }
    expect(ModelCapabilities.parse({ ...old, ...sent })).toMatchObject(sent)
  })
})
