import * as esbuild from 'esbuild'
import { PNG } from 'pngjs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AreaGeometry } from '../../shared/area/area-geometry'
import { launchChromiumAsync } from './launch-chromium-async'
import { areaInRender, decodePng, unchangedOutside, type Pixels } from './measure-area-result'

/** A 200×150 frame rendered at 2×, a 50×20 area and its crop. */
const GEOMETRY: AreaGeometry = {
  containerWidth: 200,
  containerHeight: 150,
  area: { x: 60, y: 40, width: 50, height: 20 },
  crop: { x: 20, y: 10, width: 130, height: 80 },
  cropScale: 1,
  frameScale: 2
}

/**
 * A frame render as an exporter other than a browser canvas writes it: arbitrary colours, and
 * with `translucent` every alpha from 0 to 255, which a canvas (premultiplied) would round.
 */
function framePng(translucent: boolean): Uint8Array {
  const png = new PNG({ width: 400, height: 300 })
  for (let y = 0; y < 300; y += 1)
    for (let x = 0; x < 400; x += 1) {
      const i = (y * 400 + x) * 4
      png.data[i] = (x * 7 + y * 3) & 255
      png.data[i + 1] = (x * y) & 255
      png.data[i + 2] = (x ^ y) & 255
      png.data[i + 3] = translucent ? (x + y) & 255 : 255
    }
  return new Uint8Array(PNG.sync.write(png))
}

/** An answer with its own picture (stripes one way or the other), so two answers blend differently. */
function answerPng(stripes: 'across' | 'down'): Uint8Array {
  const png = new PNG({ width: 130, height: 80 })
  for (let y = 0; y < 80; y += 1)
    for (let x = 0; x < 130; x += 1) {
      const on = (stripes === 'across' ? y : x) % 8 < 4
      png.data.set(on ? [220, 30, 30, 255] : [30, 30, 220, 255], (y * 130 + x) * 4)
    }
  return new Uint8Array(PNG.sync.write(png))
}

const at = (image: Pixels, x: number, y: number): number[] => [
  ...image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4)
]

/**
 * The panel's compositor in Chromium (Node has no canvas): the frame's pixels outside the area
 * and its feather band come out exactly as they went in, for an opaque frame (through the canvas)
 * and for one with transparency (through the exact PNG path), for each of several answers.
 */
describe('blending answers into a frame render in the browser', () => {
  let browser: Browser
  let script: string

  beforeAll(async () => {
    browser = await launchChromiumAsync()
    const built = await esbuild.build({
      stdin: {
        contents:
          "import { prepareCompositeOnCanvas } from './ui/image/prepare-composite-on-canvas'; window.prepareComposite = prepareCompositeOnCanvas",
        resolveDir: process.cwd(),
        loader: 'ts'
      },
      bundle: true,
      write: false,
      format: 'iife'
    })
    script = built.outputFiles[0]!.text
  })
  afterAll(async () => {
    await browser.close()
  })

  async function compositeTwiceAsync(frame: Uint8Array, answers: Uint8Array[]): Promise<Pixels[]> {
    const page = await browser.newPage()
    try {
      await page.setContent('<!doctype html><body></body>')
      await page.addScriptTag({ content: script })
      const outputs = await page.evaluate(
        async ({ frameBase64, answersBase64, geometry }) => {
          const bytes = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
          const base64 = (data: Uint8Array): string => {
            let binary = ''
            for (let index = 0; index < data.length; index += 0x8000) binary += String.fromCharCode(...data.subarray(index, index + 0x8000))
            return btoa(binary)
          }
          type Prepare = (
            frame: { png: Uint8Array; width: number; height: number },
            geometry: unknown
          ) => {
            compositeAsync(answer: { bytes: Uint8Array; contentType: string }): Promise<{ image: { png: Uint8Array } }>
            close(): void
          }
          const prepared = (window as unknown as { prepareComposite: Prepare }).prepareComposite(
            { png: bytes(frameBase64), width: 400, height: 300 },
            geometry
          )
          const results: string[] = []
          for (const answer of answersBase64)
            results.push(base64((await prepared.compositeAsync({ bytes: bytes(answer), contentType: 'image/png' })).image.png))
          prepared.close()
          return results
        },
        {
          frameBase64: Buffer.from(frame).toString('base64'),
          answersBase64: answers.map((answer) => Buffer.from(answer).toString('base64')),
          geometry: GEOMETRY
        }
      )
      return outputs.map((output) => decodePng(new Uint8Array(Buffer.from(output, 'base64'))))
    } finally {
      await page.close()
    }
  }

  it.each([
    ['an opaque frame', false],
    ['a frame with transparency', true]
  ])('%s: every pixel outside the area stays the frame’s own, answer after answer', async (_name, translucent) => {
    const frame = framePng(translucent)
    const [across, down] = await compositeTwiceAsync(frame, [answerPng('across'), answerPng('down')])
    const [downAlone] = await compositeTwiceAsync(frame, [answerPng('down')])
    const original = decodePng(frame)
    const { area, band } = areaInRender(GEOMETRY, original)
    for (const result of [across!, down!]) {
      const unchanged = unchangedOutside(result, original, band)
      expect(unchanged.same).toBe(unchanged.total)
    }
    // The area changed, and each answer is blended into the frame itself, not into the one before.
    const middle = [area.x + area.width / 2, area.y + area.height / 2] as const
    expect(at(across!, ...middle)).not.toEqual(at(original, ...middle))
    expect(Buffer.from(across!.data).equals(Buffer.from(down!.data))).toBe(false)
    expect(Buffer.from(down!.data).equals(Buffer.from(downAlone!.data))).toBe(true)
  })
})
