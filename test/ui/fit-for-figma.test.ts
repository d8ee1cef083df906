import { describe, expect, it } from 'vitest'
import { fitForFigmaAsync, type ImageResizer, type SizedImage } from '../../ui/image/fit-for-figma-async'

const image = (width: number, height: number, contentType: SizedImage['contentType'] = 'image/png'): SizedImage => ({
  bytes: new Uint8Array([1]),
  contentType,
  width,
  height
})

describe('fitting a result for figma.createImage', () => {
  const calls: Array<[number, number]> = []
  const resizeAsync: ImageResizer = async (input, width, height) => {
    calls.push([width, height])
    return { ...input, contentType: 'image/png', width, height }
  }

  it('passes PNG and JPEG up to 4096 px through untouched', async () => {
    const small = image(4096, 1000, 'image/jpeg')
    expect(await fitForFigmaAsync(small, resizeAsync)).toBe(small)
  })

  it('scales anything larger down to 4096 px on the long side, keeping its shape', async () => {
    expect(await fitForFigmaAsync(image(8192, 2048), resizeAsync)).toMatchObject({ width: 4096, height: 1024 })
    expect(await fitForFigmaAsync(image(3000, 5000), resizeAsync)).toMatchObject({ width: 2457, height: 4096 })
  })

  it('re-encodes WebP, which Figma cannot take, as PNG', async () => {
    expect(await fitForFigmaAsync(image(1024, 1024, 'image/webp'), resizeAsync)).toMatchObject({
      contentType: 'image/png',
      width: 1024,
      height: 1024
    })
  })
})
