import { describe, expect, it } from 'vitest'
import { checkAgainstOffer } from '../../relay/http/check-against-offer'
import { AppError } from '../../shared/errors'
import type { ModelOffer } from '../../shared/models'
import { EditRequest, type EditRequestInput } from '../../shared/relay-api'

const OFFER: ModelOffer = {
  hostModelId: 'host-model',
  maxReferences: 2,
  maxVariants: 3,
  variantsPerCall: 1,
  outputFormats: ['png', 'jpeg'],
  safetyTolerance: { min: 1, max: 5, default: 2 },
  promptUpsampling: false,
  guidance: { min: 1.5, max: 10, default: 3 },
  steps: null,
  outputQuality: { min: 20, max: 99, default: 95 },
  seedMax: 1000,
  schema: 'kontext',
  output: { kind: 'fixed', sizes: [] },
  referencePixels: 1_000_000,
  maxInputPixels: 4 * 2048 * 2048,
  price: { firstMpUsd: 0.08, extraMpUsd: 0, inputMpUsd: 0 }
}
const WHERE = 'Runware (FLUX.1 Kontext [max])'
const ONE_MP = [{ width: 1024, height: 1024 }]

/** The AppError checkAgainstOffer throws, or undefined when the request passes. */
function refusal(
  input: Partial<EditRequestInput>,
  references: ReadonlyArray<{ width: number; height: number }> = ONE_MP,
  offer: ModelOffer = OFFER
): { code: string; message: string } | undefined {
  const request = EditRequest.parse({ prompt: 'Make it blue', ...input })
  try {
    checkAgainstOffer(request, references, 'runware', 'kontext-max', offer)
    return undefined
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    return { code: error.code, message: error.message }
  }
}

const invalid = (message: string) => ({ code: 'invalid_request', message })

describe('checkAgainstOffer: references', () => {
  it('takes references of exactly the model’s largest size, and refuses one pixel more', () => {
    expect(refusal({}, [{ width: 2048, height: 2048 }])).toBeUndefined()
    expect(refusal({}, [{ width: 2048, height: 2049 }])).toEqual({
      code: 'invalid_image',
      message:
        'The image is 2048×2049 (4.2 MP). FLUX.1 Kontext [max] works at about one megapixel and uses references of at most 4.2 MP: scale the reference down (the plugin sends about 1 MP) and send it again.'
    })
  })

  it('names each oversized reference by its place when there are several', () => {
    const references = [
      { width: 3000, height: 3000 },
      { width: 100, height: 100 },
      { width: 4000, height: 2500 }
    ]
    expect(refusal({}, references)).toEqual({
      code: 'invalid_image',
      message:
        'Image 1 is 3000×3000 (9.0 MP); Image 3 is 4000×2500 (10.0 MP). FLUX.1 Kontext [max] works at about one megapixel and uses references of at most 4.2 MP: scale the reference down (the plugin sends about 1 MP) and send it again.'
    })
  })

  it('refuses more references than the host takes, counting them, before anything else', () => {
    expect(refusal({}, [...ONE_MP, ...ONE_MP])).toBeUndefined()
    expect(refusal({}, [...ONE_MP, ...ONE_MP, ...ONE_MP])).toEqual(
      invalid(`${WHERE} takes at most 2 reference images; this request has 3.`)
    )
    expect(refusal({}, [...ONE_MP, ...ONE_MP], { ...OFFER, maxReferences: 1 })).toEqual(
      invalid(`${WHERE} takes at most 1 reference image; this request has 2.`)
    )
  })
})

describe('checkAgainstOffer: settings', () => {
  it('passes a request within every range', () => {
    expect(
      refusal({
        numImages: 3,
        outputFormat: 'jpeg',
        seed: 1000,
        safetyTolerance: 5,
        guidance: 1.5,
        outputQuality: 20,
        promptUpsampling: false
      })
    ).toBeUndefined()
    expect(refusal({ safetyTolerance: 1, guidance: 10, outputQuality: 99, seed: 0 })).toBeUndefined()
  })

  it('refuses more variants than the host makes', () => {
    expect(refusal({ numImages: 4 })).toEqual(invalid(`${WHERE} makes at most 3 variants.`))
  })

  it('refuses an output format the host does not return', () => {
    expect(refusal({ outputFormat: 'webp' })).toEqual(invalid(`${WHERE} returns png, jpeg, not webp.`))
  })

  it('refuses a seed over the host’s largest', () => {
    expect(refusal({ seed: 1001 })).toEqual(invalid(`seed must be at most 1000 on ${WHERE}.`))
  })

  it('refuses prompt upsampling where the host has none, and takes it where it has', () => {
    expect(refusal({ promptUpsampling: true })).toEqual(invalid(`${WHERE} cannot expand the prompt; leave promptUpsampling out.`))
    expect(refusal({ promptUpsampling: true }, ONE_MP, { ...OFFER, promptUpsampling: true })).toBeUndefined()
  })

  it('refuses each ranged setting just outside its range, naming the range', () => {
    expect(refusal({ safetyTolerance: 0 })).toEqual(invalid(`safetyTolerance must be from 1 to 5 on ${WHERE}.`))
    expect(refusal({ safetyTolerance: 6 })).toEqual(invalid(`safetyTolerance must be from 1 to 5 on ${WHERE}.`))
    expect(refusal({ guidance: 1.4 })).toEqual(invalid(`guidance must be from 1.5 to 10 on ${WHERE}.`))
    expect(refusal({ guidance: 10.1 })).toEqual(invalid(`guidance must be from 1.5 to 10 on ${WHERE}.`))
    expect(refusal({ outputQuality: 19 })).toEqual(invalid(`outputQuality must be from 20 to 99 on ${WHERE}.`))
    expect(refusal({ outputQuality: 100 })).toEqual(invalid(`outputQuality must be from 20 to 99 on ${WHERE}.`))
  })

  it('refuses a setting the host does not have', () => {
    expect(refusal({ steps: 28 })).toEqual(invalid(`${WHERE} has no steps setting; leave it out.`))
    expect(refusal({ steps: 28 }, ONE_MP, { ...OFFER, steps: { min: 1, max: 50, default: 28 } })).toBeUndefined()
    expect(refusal({ safetyTolerance: 2 }, ONE_MP, { ...OFFER, safetyTolerance: null })).toEqual(
      invalid(`${WHERE} has no safetyTolerance setting; leave it out.`)
    )
    expect(refusal({ guidance: 2 }, ONE_MP, { ...OFFER, guidance: null })).toEqual(
      invalid(`${WHERE} has no guidance setting; leave it out.`)
    )
    expect(refusal({ outputQuality: 50 }, ONE_MP, { ...OFFER, outputQuality: null })).toEqual(
      invalid(`${WHERE} has no outputQuality setting; leave it out.`)
    )
  })

  it('names every problem in one answer', () => {
    expect(
      refusal(
        {
          numImages: 4,
          outputFormat: 'webp',
          seed: 2000,
          promptUpsampling: true,
          safetyTolerance: 6,
          guidance: 11,
          steps: 3,
          outputQuality: 5
        },
        [...ONE_MP, ...ONE_MP, ...ONE_MP]
      )
    ).toEqual(
      invalid(
        [
          `${WHERE} takes at most 2 reference images; this request has 3.`,
          `${WHERE} makes at most 3 variants.`,
          `${WHERE} returns png, jpeg, not webp.`,
          `seed must be at most 1000 on ${WHERE}.`,
          `${WHERE} cannot expand the prompt; leave promptUpsampling out.`,
          `safetyTolerance must be from 1 to 5 on ${WHERE}.`,
          `guidance must be from 1.5 to 10 on ${WHERE}.`,
          `${WHERE} has no steps setting; leave it out.`,
          `outputQuality must be from 20 to 99 on ${WHERE}.`
        ].join(' ')
      )
    )
  })
})

describe('references in all (FLUX.2: 9 MP on BFL)', () => {
  const flux2: ModelOffer = { ...OFFER, schema: 'flux2', maxReferences: 8, referencePixels: 4_000_000, maxInputPixels: 9_000_000 }
  const at = (width: number, height: number, count: number) => Array.from({ length: count }, () => ({ width, height }))

  it('takes references up to the total, one of them as large as its own limit', () => {
    expect(refusal({}, at(2000, 2000, 2), flux2)).toBeUndefined()
    expect(refusal({}, at(1500, 1000, 6), flux2)).toBeUndefined()
  })

  it('refuses references past the total, with the numbers and what to do', () => {
    expect(refusal({}, [...at(2000, 2000, 2), { width: 1000, height: 1001 }], flux2)).toMatchObject({ code: 'invalid_image' })
    expect(refusal({}, at(2000, 2000, 3), flux2)).toEqual({
      code: 'invalid_image',
      message:
        'The 3 images add up to 12.0 MP; FLUX.1 Kontext [max] takes at most 9.0 MP of references in all: send them smaller (the plugin shares that out among them).'
    })
  })
})
