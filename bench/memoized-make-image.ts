/**
 * For the polling benchmark only, in place of test/fakes/make-image.ts inside the fakes' process
 * (bench/bench.mjs swaps it in): each size and format is rendered once and its bytes reused. When
 * the relay learns that a job finished does not depend on the result's pixels, and rendering a
 * megapixel image per job would keep the fakes' process too busy to answer on time.
 */
import { makeJpeg as renderJpeg, makePng as renderPng, makeWebpAsync as renderWebpAsync } from '../test/fakes/make-image'

export * from '../test/fakes/make-image'

const cache = new Map<string, Uint8Array | Promise<Uint8Array>>()

export function makePng(width: number, height: number, seed = 1): Uint8Array {
  const key = `png ${width}×${height}`
  let bytes = cache.get(key) as Uint8Array | undefined
  if (bytes === undefined) cache.set(key, (bytes = renderPng(width, height, seed)))
  return bytes.slice()
}

export function makeJpeg(width: number, height: number, seed = 1, quality = 90): Uint8Array {
  const key = `jpeg ${width}×${height} ${quality}`
  let bytes = cache.get(key) as Uint8Array | undefined
  if (bytes === undefined) cache.set(key, (bytes = renderJpeg(width, height, seed, quality)))
  return bytes.slice()
}

export async function makeWebpAsync(width: number, height: number, seed = 1): Promise<Uint8Array> {
  const key = `webp ${width}×${height}`
  let bytes = cache.get(key) as Promise<Uint8Array> | undefined
  if (bytes === undefined) cache.set(key, (bytes = renderWebpAsync(width, height, seed)))
  return (await bytes).slice()
}
