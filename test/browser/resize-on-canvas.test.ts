import * as esbuild from 'esbuild'
import { imageSize } from 'image-size'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeJpeg } from '../fakes/make-image'
import { launchChromiumAsync } from './launch-chromium-async'

/**
 * The panel's canvas resizer in Chromium: results over Figma's 4096 px limit (or in WebP) are
 * re-encoded before they reach figma.createImage. Node has no canvas, so this runs in the browser.
 */
describe('re-encoding a result in the browser', () => {
  let browser: Browser
  let script: string

  beforeAll(async () => {
    browser = await launchChromiumAsync()
    const built = await esbuild.build({
      stdin: {
        contents:
          "import { fitForFigmaAsync } from './ui/image/fit-for-figma-async'; import { resizeOnCanvasAsync } from './ui/image/resize-on-canvas-async'; window.fit = (image) => fitForFigmaAsync(image, resizeOnCanvasAsync)",
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

  it('scales a 6000×1500 JPEG down to a 4096×1024 PNG', async () => {
    const page = await browser.newPage()
    await page.setContent('<!doctype html><body></body>')
    await page.addScriptTag({ content: script })
    const input = Buffer.from(makeJpeg(6000, 1500)).toString('base64')
    const output = await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
      const fit = (
        window as unknown as { fit(image: unknown): Promise<{ bytes: Uint8Array; contentType: string; width: number; height: number }> }
      ).fit
      const result = await fit({ bytes, contentType: 'image/jpeg', width: 6000, height: 1500 })
      let binary = ''
      for (const byte of result.bytes) binary += String.fromCharCode(byte)
      return { base64: btoa(binary), contentType: result.contentType, width: result.width, height: result.height }
    }, input)
    expect(output).toMatchObject({ contentType: 'image/png', width: 4096, height: 1024 })
    expect(imageSize(Buffer.from(output.base64, 'base64'))).toMatchObject({ width: 4096, height: 1024, type: 'png' })
    await page.close()
  })
})
