import { mkdirSync } from 'node:fs'
import type { Browser, Frame, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { SETTINGS_STORAGE_KEY, DEFAULT_SETTINGS } from '../../shared/settings'
import { createFakeFigma, FakeRectangle, type FakeFigma } from '../fakes/fake-figma'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { startPlugin } from '../support/plugin-harness'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'
import { openPanelAsync } from './figma-host-page'
import { launchChromiumAsync } from './launch-chromium-async'

const SCREENSHOTS = 'test-output/screenshots'

/**
 * The built panel (dist/ui.html, built by `npm test` before the tests run) in headless Chromium,
 * driven as a designer would, against the real sandbox controller on the fake Figma, the real
 * relay over HTTP and the fake Runware.
 */
describe('the panel in a real browser', () => {
  let browser: Browser
  let runware: FakeRunware
  let relay: RunningRelay
  let figma: FakeFigma
  let page: Page

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    browser = await launchChromiumAsync()
  })
  afterAll(async () => {
    await browser.close()
  })

  beforeEach(async (context) => {
    onTestFailed(async () => {
      await page.screenshot({ path: `${SCREENSHOTS}/failed-${context.task.name.replace(/\W+/g, '-')}.png` }).catch(() => undefined)
    })
    runware = await startFakeRunwareAsync({ apiKey: 'rw-browser-key-0123456789', latencyMs: 1500 })
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
    figma = createFakeFigma()
    page = await browser.newPage({ viewport: { width: 360, height: 600 }, deviceScaleFactor: 2 })
  })
  afterEach(async () => {
    await page.close()
    await relay.close()
    await runware.close()
  })

  async function open(settings: Partial<typeof DEFAULT_SETTINGS>, theme: 'light' | 'dark' = 'light'): Promise<Frame> {
    figma.storage.set(SETTINGS_STORAGE_KEY, { ...DEFAULT_SETTINGS, relayUrl: relay.url, ...settings })
    startPlugin(figma)
    return openPanelAsync(page, figma, theme)
  }

  it('asks for the relay and token first, and keeps them', async () => {
    const ui = await open({ token: '' })
    await ui.getByLabel('Access token').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/settings-first-run.png` })
    await ui.getByLabel('Access token').fill(relay.token)
    await ui.getByRole('button', { name: 'Test connection' }).click()
    await ui.getByText('Connected · Runware').waitFor()
    await ui.getByRole('button', { name: 'Save' }).click()
    await ui.getByLabel('Instruction', { exact: true }).waitFor()
    await figma.flushAsync()
    expect(figma.storage.get(SETTINGS_STORAGE_KEY)).toMatchObject({ relayUrl: relay.url, token: relay.token })
  })

  it('edits the selected frame and places the result beside it', async () => {
    const hero = figma.frame('Spring campaign / Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    const ui = await open({ token: relay.token })
    await ui.getByText('Spring campaign / Hero').waitFor()
    await ui.getByText('1440 × 900').waitFor()
    await ui.getByLabel('Instruction', { exact: true }).fill("Replace 'Spring Sale' with 'Summer Sale' while keeping the same font style and color")
    await page.screenshot({ path: `${SCREENSHOTS}/ready.png` })
    await ui.getByLabel('Instruction', { exact: true }).press('Control+Enter')
    await ui.getByText('Generating').waitFor()
    await ui.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/generating.png` })
    await ui.getByText('Result placed').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: `${SCREENSHOTS}/placed.png` })
    const placed = figma.currentPage.children.filter((node) => node instanceof FakeRectangle)
    expect(placed.map((node) => [node.name, node.x, node.y, node.width, node.height])).toEqual([['Spring campaign / Hero · Kontext edit', 1480, 0, 1440, 900]])
    expect(runware.accepted).toHaveLength(1)
  })

  it('cancels with Esc while the image generates', async () => {
    runware.setLatency(10_000)
    figma.select([figma.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    const ui = await open({ token: relay.token })
    await ui.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await ui.getByRole('button', { name: 'Edit' }).click()
    await ui.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await ui.getByLabel('Instruction', { exact: true }).press('Escape')
    await ui.getByText('Canceled. Nothing was placed.').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/canceled.png` })
    expect(figma.currentPage.children.filter((node) => node instanceof FakeRectangle)).toEqual([])
  })

  it('explains an empty account in plain words, in the dark theme', async () => {
    runware.failNext({ kind: 'status', status: 402 })
    figma.select([figma.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    const ui = await open({ token: relay.token }, 'dark')
    await ui.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await ui.getByRole('button', { name: 'Edit' }).click()
    await ui.getByText('out of credit').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: `${SCREENSHOTS}/error-insufficient-credit-dark.png` })
  })

  it('offers only what the chosen host and model support', async () => {
    await relay.close()
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url, COMFYUI_URL: 'http://127.0.0.1:9' })
    figma.select([figma.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    const ui = await open({ token: relay.token })
    await ui.getByText('Options').click()
    const host = ui.getByLabel('Image host')
    await host.waitFor()
    expect(await host.locator('option').allTextContents()).toEqual(['Runware', 'ComfyUI (self-hosted)'])
    expect(await ui.getByLabel('Format').locator('option').allTextContents()).toEqual(['PNG', 'JPEG', 'WebP'])
    await ui.getByLabel('Safety tolerance').waitFor()
    expect(await ui.getByLabel('Steps').count()).toBe(0)

    await host.selectOption('comfyui')
    await ui.getByLabel('Steps').waitFor()
    expect(await ui.getByLabel('Model').locator('option').allTextContents()).toEqual(['FLUX.1 Kontext [dev] · self-hosted'])
    expect(await ui.getByLabel('Guidance').getAttribute('placeholder')).toBe('2.5 (default)')
    expect(await ui.getByLabel('Safety tolerance').count()).toBe(0)
    expect(await ui.getByLabel('Format').locator('option').allTextContents()).toEqual(['PNG'])
    await page.screenshot({ path: `${SCREENSHOTS}/options-comfyui.png` })
    await figma.flushAsync()
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(figma.storage.get(SETTINGS_STORAGE_KEY)).toMatchObject({ options: { provider: 'comfyui' } })
  })

  it('says when the relay cannot be reached', async () => {
    figma.select([figma.frame('Card', { x: 0, y: 0, width: 400, height: 300 })])
    const ui = await open({ token: relay.token, relayUrl: 'http://127.0.0.1:9' })
    await ui.getByText('Cannot reach the relay').first().waitFor()
    await ui.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await ui.getByRole('button', { name: 'Edit' }).click()
    await ui.getByRole('button', { name: 'Open settings' }).waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/error-relay-down.png` })
  })
})
