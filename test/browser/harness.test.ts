import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { imageSize } from 'image-size'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { referenceExportSettings } from '../../plugin/export/reference-export-settings'
import { KONTEXT_REFERENCE } from '../../shared/reference-target'
import { DEFAULT_SETTINGS, SETTINGS_STORAGE_KEY } from '../../shared/settings'
import { makeJpeg, makePng } from '../fakes/make-image'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'
import { openFigmaAsync, stopHarnessServerAsync, type FigmaInPage } from './harness/figma-harness'
import { SCREENSHOTS, useBrowserSuite } from './harness/use-browser-suite'
import { sha1Hex, sniffImage } from './harness/image-bytes'
import { launchChromiumAsync } from './launch-chromium-async'

/**
 * The built plugin as Figma runs it, with Figma played by a page: dist/code.js runs in the page
 * against the fake Figma, dist/ui.html in a sandboxed iframe, talking in { pluginMessage }
 * envelopes; the panel calls the real relay on 127.0.0.1, which calls the fake Runware.
 */
describe('the built plugin in a page that plays Figma', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  let page: Page
  let figma: FigmaInPage | undefined

  const suite = useBrowserSuite({
    runware: { apiKey: 'rw-harness-key-0123456789', latencyMs: 800 },
    viewport: { width: 1280, height: 760 },
    screenshotPrefix: 'harness-',
    current: () => figma
  })
  beforeEach(() => {
    ;({ page, relay, runware } = suite)
    figma = undefined
  })

  it('edits the selected frame and places the result beside it; one undo removes it', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      storage: { [SETTINGS_STORAGE_KEY]: { ...DEFAULT_SETTINGS, relayUrl: relay.url, token: relay.token } },
      setup: (figma) => {
        const hero = figma.frame('Spring campaign / Hero', { x: 0, y: 0, width: 1440, height: 900 }, undefined, [
          { type: 'SOLID', color: { r: 0.99, g: 0.86, b: 0.6 } }
        ])
        figma.text('Headline', { x: 120, y: 330, width: 1200, height: 150 }, 'Spring Sale', hero, {
          fontName: { family: 'Inter', style: 'Bold' },
          fontSize: 140,
          fills: [{ type: 'SOLID', color: { r: 0.75, g: 0.2, b: 0.25 } }]
        })
        figma.text('Subline', { x: 124, y: 500, width: 1000, height: 60 }, 'Up to 40% off everything green', hero, { fontSize: 48 })
        figma.select([hero])
      }
    })
    const { panel } = figma
    // The panel runs in an opaque origin, as in Figma: its calls to the relay carry `Origin: null`.
    const relayOrigins: Array<Promise<string | null>> = []
    page.on('request', (request) => {
      if (request.url().startsWith(relay.url)) relayOrigins.push(request.headerValue('origin'))
    })
    await panel.getByText('Spring campaign / Hero').first().waitFor({ timeout: 20_000 })
    await panel.getByText('1440 × 900').first().waitFor()

    // exportAsync in the page draws the frame and returns a real PNG at the constraint's size.
    const exported = await figma.evalFigma(async (figma) => {
      const bytes = await figma.currentPage.children[0]!.exportAsync({ format: 'PNG', constraint: { type: 'WIDTH', value: 300 } })
      return Array.from(bytes)
    })
    expect(imageSize(new Uint8Array(exported))).toMatchObject({ type: 'png', width: 300, height: 188 })

    const instruction = panel.getByLabel('Instruction', { exact: true })
    await instruction.fill("Replace 'Spring Sale' with 'Summer Sale' while keeping the same font style and color")
    await instruction.press('Control+Enter')
    await page.waitForFunction(
      () => {
        const figma = (window as unknown as { fakeFigma: { currentPage: { children: Array<{ type: string }> } } }).fakeFigma
        return figma.currentPage.children.some((node) => node.type === 'RECTANGLE')
      },
      undefined,
      { timeout: 45_000 }
    )

    const placed = await figma.snapshotAsync()
    const [source, result] = placed.nodes
    expect(placed.nodes).toHaveLength(2)
    expect(source).toMatchObject({ type: 'FRAME', name: 'Spring campaign / Hero', x: 0, y: 0, width: 1440, height: 900 })
    expect(result).toMatchObject({
      type: 'RECTANGLE',
      name: 'Spring campaign / Hero · Kontext edit',
      x: 1480,
      y: 0,
      width: 1440,
      height: 900
    })
    expect(result!.fills).toEqual([{ type: 'IMAGE', imageHash: expect.stringMatching(/^[0-9a-f]{40}$/), scaleMode: 'FILL' }])
    expect(JSON.parse(result!.pluginData['kontext-edit/provenance']!)).toMatchObject({ sourceId: source!.id, provider: 'runware' })
    expect(placed.selection).toEqual([result!.id])
    const hash = (result!.fills as Array<{ imageHash: string }>)[0]!.imageHash
    const image = await figma.evalFigma((figma, hash) => Array.from(figma.imageBytes(hash) ?? []), hash)
    expect(imageSize(new Uint8Array(image))).toMatchObject({ type: 'png' })
    expect(runware.accepted).toHaveLength(1)
    expect(relayOrigins.length).toBeGreaterThan(0)
    expect(new Set(await Promise.all(relayOrigins))).toEqual(new Set(['null']))
    // What reached the image host is the frame as the page drew it: a real PNG of about one megapixel.
    const reference = (runware.accepted[0]!.task as { inputs: { referenceImages: string[] } }).inputs.referenceImages[0]!
    const referencePng = Buffer.from(reference.replace(/^data:image\/png;base64,/, ''), 'base64')
    const { pixelWidth, pixelHeight } = referenceExportSettings(1440, 900, KONTEXT_REFERENCE)
    expect(imageSize(referencePng)).toMatchObject({ type: 'png', width: pixelWidth, height: pixelHeight })
    writeFileSync(`${SCREENSHOTS}/harness-reference.png`, referencePng)

    // Let the panel and the canvas view catch up with the placed layer before the picture.
    await panel
      .getByText(/placed/i)
      .first()
      .waitFor({ timeout: 20_000 })
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${SCREENSHOTS}/harness-placed.png` })

    await figma.evalFigma((figma) => figma.undo())
    const undone = await figma.snapshotAsync()
    expect(undone.nodes.map((node) => [node.type, node.name])).toEqual([['FRAME', 'Spring campaign / Hero']])
    expect(undone.nodes[0]).toEqual(source)
    expect(await figma.errors()).toEqual([])
  }, 60_000)

  it('runs the quick action with its parameters in a hidden panel, places the result and closes', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      command: 'quick',
      parameters: { instruction: 'Make the card background dark green' },
      storage: { [SETTINGS_STORAGE_KEY]: { ...DEFAULT_SETTINGS, relayUrl: relay.url, token: relay.token } },
      setup: (figma) => figma.select([figma.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    })
    // While the designer types, the input handler answers with suggestions, the typed text first.
    const answer = await figma.evalFigma((figma) => figma.inputParameterAsync({ key: 'instruction', query: 'dark green' }))
    expect(answer.suggestions?.[0]).toBe('dark green')
    // The panel was shown hidden (it may already have closed again: the edit runs on its own).
    expect(await figma.evalFigma((figma) => ({ command: figma.command, options: figma.ui.state.options }))).toMatchObject({
      command: 'quick',
      options: { visible: false }
    })
    expect(await page.locator('#figma-plugin-window').isHidden()).toBe(true)

    await page.waitForFunction(() => (window as unknown as { fakeFigma: { closed: boolean } }).fakeFigma.closed, undefined, {
      timeout: 45_000
    })
    const done = await figma.snapshotAsync()
    expect(done.nodes.map((node) => [node.type, node.name, node.x, node.width, node.height])).toEqual([
      ['FRAME', 'Card', 0, 400, 300],
      ['RECTANGLE', 'Card · Kontext edit', 440, 400, 300]
    ])
    expect(done.nodes[1]!.fills).toEqual([expect.objectContaining({ type: 'IMAGE', scaleMode: 'FILL' })])
    expect(JSON.parse(done.nodes[1]!.pluginData['kontext-edit/provenance']!)).toMatchObject({
      prompt: 'Make the card background dark green'
    })
    // Figma shows a button only for commands in the manifest's relaunchButtons.
    expect(done.nodes[1]!.relaunchButtons).toEqual(['edit-again', 'new-variation'])
    expect(await page.locator('#figma-plugin-ui').count()).toBe(0)
    await page.waitForTimeout(200)
    await page.screenshot({ path: `${SCREENSHOTS}/harness-quick-action.png` })
    expect(await figma.errors()).toEqual([])
  }, 60_000)

  it('exports a slice as the part of the page under it, as the frame’s own export draws it there', async () => {
    figma = await openFigmaAsync(page, {
      waitForUi: false,
      setup: (figma) => {
        const hero = figma.frame('Hero', { x: 40, y: 20, width: 400, height: 300 }, undefined, [
          { type: 'SOLID', color: { r: 0.2, g: 0.5, b: 0.9 } }
        ])
        figma.rectangle('Badge', { x: 100, y: 100, width: 80, height: 40 }, hero)
        figma.frame('Beside', { x: 460, y: 20, width: 100, height: 100 }, undefined, [{ type: 'SOLID', color: { r: 1, g: 0, b: 0 } }])
      }
    })
    const compared = await figma.evalFigma(async (figma) => {
      const pixelsAsync = async (png: Uint8Array): Promise<ImageData> => {
        const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)]))
        const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!
        ctx.drawImage(bitmap, 0, 0)
        return ctx.getImageData(0, 0, bitmap.width, bitmap.height)
      }
      const hero = figma.currentPage.children[0]!
      const nodesBefore = figma.currentPage.children.length
      const whole = await pixelsAsync(
        await hero.exportAsync({ format: 'PNG', useAbsoluteBounds: true, constraint: { type: 'SCALE', value: 2 } })
      )
      const slice = figma.createSlice()
      slice.x = 40 + 80
      slice.y = 20 + 90
      slice.resize(120, 60)
      const part = await pixelsAsync(await slice.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: 2 } }))
      // Over the gap and the next frame: every layer of the page under the slice is drawn.
      slice.x = 420
      slice.y = 40
      slice.resize(80, 20)
      const across = await pixelsAsync(await slice.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: 1 } }))
      slice.remove()
      let differing = 0
      for (let y = 0; y < part.height; y += 1)
        for (let x = 0; x < part.width; x += 1)
          for (let c = 0; c < 4; c += 1)
            if (Math.abs(part.data[(y * part.width + x) * 4 + c]! - whole.data[((y + 180) * whole.width + x + 160) * 4 + c]!) > 8)
              differing += 1
      const at = (image: ImageData, x: number, y: number) =>
        Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4))
      return {
        size: [part.width, part.height],
        differing,
        across: [at(across, 10, 10), at(across, 30, 10), at(across, 60, 10)],
        nodesAfter: figma.currentPage.children.length - nodesBefore
      }
    })
    expect(compared.size).toEqual([240, 120])
    expect(compared.differing).toBe(0)
    expect(compared.across).toEqual([
      [51, 128, 230, 255],
      [0, 0, 0, 0],
      [255, 0, 0, 255]
    ])
    expect(compared.nodesAfter).toBe(0)
  }, 60_000)
})

describe('network access in the page that plays Figma', () => {
  let browser: Browser
  let runware: FakeRunware
  let relay: RunningRelay
  let page: Page

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    browser = await launchChromiumAsync()
    runware = await startFakeRunwareAsync({ apiKey: 'rw-harness-key-0123456789' })
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } })
  })
  afterAll(async () => {
    await page.close()
    await browser.close()
    await stopHarnessServerAsync()
    await relay.close()
    await runware.close()
  })

  it('blocks a relay the manifest does not allow, as Figma does, and Settings says so before saving', async () => {
    // No extraDevAllowedDomains: the panel's connect-src is manifest.json's networkAccess alone.
    const figma = await openFigmaAsync(page, {
      storage: {},
      setup: (fake) => fake.select([fake.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    })
    const { panel } = figma
    const relayRequests: string[] = []
    page.on('request', (request) => {
      if (request.url().startsWith(relay.url)) relayRequests.push(request.url())
    })
    await panel.getByLabel('Relay URL').fill(relay.url)
    await panel.getByLabel('Access token').fill(relay.token)
    const note = panel.locator('#relay-url-access')
    await expect.poll(() => note.textContent()).toContain(`Figma will block ${relay.url}`)
    expect(await note.textContent()).toContain('https://kontext-relay.example.com')

    await panel.getByRole('button', { name: 'Test connection' }).click()
    await panel.locator('.status.danger').waitFor({ timeout: 20_000 })
    await expect.poll(() => figma.console.some((line) => line.includes('Content Security Policy') && line.includes(relay.url))).toBe(true)
    expect(relayRequests).toEqual([])
    await page.screenshot({ path: `${SCREENSHOTS}/harness-network-access-blocked.png` })

    // The development relay the manifest lists is allowed in development only.
    await panel.getByLabel('Relay URL').fill('http://localhost:8787')
    await expect.poll(() => note.textContent()).toContain('only while the plugin runs in development')
    expect(await figma.errors()).toEqual([])
  }, 60_000)
})

describe("the harness page's image bytes", () => {
  it('hash and size images as the Node fake does', () => {
    const png = makePng(320, 180, 4)
    const jpeg = makeJpeg(64, 48, 2)
    const gif = Uint8Array.from([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([10, 0, 20, 0, 0, 0, 0]))
    for (const bytes of [png, jpeg, new Uint8Array(0), Uint8Array.from([1, 2, 3]), new Uint8Array(55), new Uint8Array(64)]) {
      expect(sha1Hex(bytes)).toBe(createHash('sha1').update(bytes).digest('hex'))
    }
    expect(sniffImage(png)).toEqual({ type: 'png', width: 320, height: 180 })
    expect(sniffImage(jpeg)).toEqual({ type: 'jpg', width: 64, height: 48 })
    expect(sniffImage(gif)).toEqual({ type: 'gif', width: 10, height: 20 })
    expect(sniffImage(Uint8Array.from([1, 2, 3]))).toBeUndefined()
  })
})
