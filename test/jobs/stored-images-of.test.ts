import { describe, expect, it } from 'vitest'
import { storedImagesOf } from '../../relay/jobs/stored-images-of'
import { AppError } from '../../shared/errors'
import { makeJpeg, makePng } from '../fakes/make-image'

/** Throws what storedImagesOf throws, for a closer look. */
function refusal(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('not refused')
}

describe('storedImagesOf: each result checked before it is stored', () => {
  it('keeps each image’s type, size, byte length and seed; no seed key when the host gave none', () => {
    const png = makePng(40, 30)
    const jpeg = makeJpeg(16, 8)
    const stored = storedImagesOf([
      { bytes: png, seed: 7 },
      { bytes: jpeg, seed: undefined }
    ])
    expect(stored).toEqual([
      { contentType: 'image/png', width: 40, height: 30, byteLength: png.length, seed: 7 },
      { contentType: 'image/jpeg', width: 16, height: 8, byteLength: jpeg.length }
    ])
    expect(Object.keys(stored[1]!)).not.toContain('seed')
  })

  it('keeps a seed of 0', () => {
    expect(storedImagesOf([{ bytes: makePng(4, 4), seed: 0 }])[0]?.seed).toBe(0)
  })

  it('keeps a result of 4096 px on a side', () => {
    expect(storedImagesOf([{ bytes: makePng(4096, 1), seed: 1 }])[0]).toMatchObject({ width: 4096, height: 1 })
    expect(storedImagesOf([{ bytes: makePng(1, 4096), seed: 1 }])[0]).toMatchObject({ width: 1, height: 4096 })
  })

  it.each([
    [4097, 1],
    [1, 4097]
  ])('refuses a %i×%i result as provider_error: Figma cannot place it', (width, height) => {
    const error = refusal(() =>
      storedImagesOf([
        { bytes: makePng(2, 2), seed: 1 },
        { bytes: makePng(width, height), seed: 2 }
      ])
    )
    expect(error).toMatchObject({ code: 'provider_error', detail: 'host result 2' })
    expect(error.cause).toBeInstanceOf(AppError)
    expect(error.cause).toMatchObject({
      code: 'invalid_image',
      message: `Result 2 is ${width}×${height}; Figma places at most 4096 px on a side.`
    })
  })

  it('refuses bytes that are no image as provider_error, the reader’s error kept as the cause', () => {
    const error = refusal(() => storedImagesOf([{ bytes: new Uint8Array([1, 2, 3]), seed: 1 }]))
    expect(error).toMatchObject({ code: 'provider_error', detail: 'host result 1' })
    expect((error.cause as Error).message).toMatch(/Result 1/)
  })
})
