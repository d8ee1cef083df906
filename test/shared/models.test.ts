import { describe, expect, it } from 'vitest'
import { catalogueOfferOf, estimateCostUsd, modelsOf, offerOf, PROVIDERS } from '../../shared/models'
import { ROUTES } from '../../shared/relay-api'

describe('looking up the catalogue', () => {
  it('finds a host’s offer of a model, or none', () => {
    expect(offerOf('bfl', 'kontext-pro')).toBe(PROVIDERS.bfl.offers['kontext-pro'])
    expect(offerOf('bfl', 'kontext-dev')).toBeUndefined()
  })

  it('lists a host’s models in the catalogue’s order', () => {
    expect(modelsOf('bfl')).toEqual([
      'kontext-max',
      'kontext-pro',
      'flux2-flex',
      'flux2-pro',
      'flux2-max',
      'flux2-klein-4b',
      'flux2-klein-9b'
    ])
    expect(modelsOf('runware')).toEqual([
      'kontext-max',
      'kontext-pro',
      'kontext-dev',
      'flux2-flex',
      'flux2-pro',
      'flux2-max',
      'flux2-klein-4b',
      'flux2-klein-9b'
    ])
    expect(modelsOf('replicate')).toContain('flux2-klein-4b')
    expect(modelsOf('replicate')).not.toContain('flux2-klein-9b')
    expect(modelsOf('comfyui')).toEqual(['kontext-dev', 'flux2-dev'])
  })
})

describe('the catalogue’s offer of a model, whatever the host', () => {
  it('is the first host’s that has it', () => {
    expect(catalogueOfferOf('kontext-max')).toBe(offerOf('runware', 'kontext-max'))
    expect(catalogueOfferOf('flux2-dev')).toBe(offerOf('comfyui', 'flux2-dev'))
    expect(catalogueOfferOf('flux2-klein-4b')).toBe(offerOf('runware', 'flux2-klein-4b'))
  })
})

describe('estimating a cost', () => {
  const flat = (usd: number) => ({ firstMpUsd: usd, extraMpUsd: 0, inputMpUsd: 0 })
  const oneMp = (images: number) => ({ images, outputPixels: 1_048_576, inputPixels: 1_000_000 })

  it('a flat price (Kontext): multiplies and rounds to a hundredth of a cent, whatever the pixels', () => {
    expect(estimateCostUsd(flat(0.08), oneMp(3))).toBe(0.24)
    expect(estimateCostUsd(flat(0.0105), oneMp(3))).toBe(0.0315)
    expect(estimateCostUsd(flat(0.00001), oneMp(4))).toBe(0)
    expect(estimateCostUsd(flat(0.00004), oneMp(4))).toBe(0.0002)
    expect(estimateCostUsd(flat(0.08), { images: 1, outputPixels: 4_000_000, inputPixels: 9_000_000 })).toBe(0.08)
  })

  it('a per-megapixel price (FLUX.2): the first output megapixel, each further one started, and every input megapixel started', () => {
    // BFL's skills: a 1 MP [max] edit of a 1 MP reference is $0.10; [pro] $0.045; [flex] $0.10.
    const max = { firstMpUsd: 0.07, extraMpUsd: 0.03, inputMpUsd: 0.03 }
    expect(estimateCostUsd(max, { images: 1, outputPixels: 1_000_000, inputPixels: 1_000_000 })).toBe(0.1)
    expect(
      estimateCostUsd(
        { firstMpUsd: 0.03, extraMpUsd: 0.015, inputMpUsd: 0.015 },
        { images: 1, outputPixels: 1_000_000, inputPixels: 1_000_000 }
      )
    ).toBe(0.045)
    // 2880×1376 = 3.96 MP out (4 started), 2880×1800 = 5.2 MP in (6 started): 0.07 + 3 × 0.03 + 6 × 0.03, twice.
    expect(estimateCostUsd(max, { images: 2, outputPixels: 2880 * 1376, inputPixels: 2880 * 1800 })).toBe(0.68)
    // Just over a megapixel is a second one started.
    expect(estimateCostUsd(max, { images: 1, outputPixels: 1_000_001, inputPixels: 0 })).toBe(0.1)
  })
})

describe('the relay’s routes', () => {
  it('escape the job id', () => {
    expect(ROUTES.edit('a/b c')).toBe('/v1/edits/a%2Fb%20c')
    expect(ROUTES.image('a/b', 2)).toBe('/v1/edits/a%2Fb/images/2')
  })
})
