import type { Page } from 'playwright-core'
import { beforeEach, describe, expect, it } from 'vitest'
import { SETTINGS_STORAGE_KEY, type Settings } from '../../shared/settings'
import type { FakeNodeSnapshot } from '../fakes/fake-figma'
import type { FakeRunware } from '../fakes/runware-server'
import type { RunningRelay } from '../support/start-relay-async'
import { openFigmaAsync, type FigmaInPage, type OpenFigmaOptions } from './harness/figma-harness'
import { SCREENSHOTS, useBrowserSuite } from './harness/use-browser-suite'

type Frame = { name: string; x: number; y: number; width: number; height: number; text?: string }

/** Frames with an optional headline, the first of them (or all, with selectAll) selected. */
function frames(list: Frame[], selectAll = false): Pick<OpenFigmaOptions<{ list: Frame[]; selectAll: boolean }>, 'setup' | 'setupArg'> {
  return {
    setupArg: { list, selectAll },
    setup: (figma, { list, selectAll }) => {
      const made = list.map((frame, index) => {
        const node = figma.frame(frame.name, { x: frame.x, y: frame.y, width: frame.width, height: frame.height }, undefined, [
          { type: 'SOLID', color: { r: 0.95 - index * 0.15, g: 0.85, b: 0.6 + index * 0.1 } }
        ])
        if (frame.text !== undefined)
          figma.text('Headline', { x: 40, y: 40, width: frame.width - 80, height: 80 }, frame.text, node, { fontSize: 64 })
        return node
      })
      figma.select(selectAll ? made : made.slice(0, 1))
    }
  }
}

function results(nodes: FakeNodeSnapshot[]): FakeNodeSnapshot[] {
  return nodes.filter((node) => node.name.includes('Kontext edit'))
}

/**
 * The flows a designer uses, in headless Chromium: the built plugin runs in a page that plays
 * Figma (dist/code.js on the fake Figma, dist/ui.html in a sandboxed iframe), against the real
 * relay and the fake Runware on 127.0.0.1. Screenshots of the main states go to test-output/.
 */
describe('designer flows in the browser', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  let page: Page
  let figma: FigmaInPage | undefined

  const suite = useBrowserSuite({
    runware: { apiKey: 'rw-flows-key-0123456789', latencyMs: 600 },
    viewport: { width: 1280, height: 800 },
    current: () => figma
  })
  beforeEach(() => {
    ;({ page, relay, runware } = suite)
    figma = undefined
  })

  const settings = suite.settings

  async function open(options: OpenFigmaOptions<{ list: Frame[]; selectAll: boolean }>): Promise<FigmaInPage> {
    figma = await openFigmaAsync(page, { extraDevAllowedDomains: [relay.url], storage: settings(), ...options })
    return figma
  }

  it('typography helper: lists the text, writes the replacement, and warns about length', async () => {
    const { panel } = await open(frames([{ name: 'Banner', x: 0, y: 0, width: 1200, height: 400, text: 'Spring Sale' }]))
    await panel.getByRole('button', { name: 'Spring Sale' }).click()
    const instruction = panel.getByLabel('Instruction', { exact: true })
    expect(await instruction.inputValue()).toBe("Replace 'Spring Sale' with 'new text' while keeping the same font, size and color")
    // The new text is selected: typing replaces it.
    await page.keyboard.type('Summer Sale')
    expect(await instruction.inputValue()).toBe("Replace 'Spring Sale' with 'Summer Sale' while keeping the same font, size and color")
    await panel.getByText('is a live text layer: editing it directly in Figma is lossless and free').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/typography-helper.png` })
    await instruction.fill("Replace 'Spring Sale' with 'The Biggest Summer Sale Of The Year' while keeping the same font, size and color")
    await panel.getByText('as long as the old').waitFor()
  })

  it('text changes: recommends FLUX.2 [flex], prices it by the megapixel, and edits at the frame’s shape', async () => {
    const current = await open(frames([{ name: 'Banner', x: 0, y: 0, width: 1200, height: 400, text: 'Spring Sale' }]))
    const { panel } = current
    await panel.getByRole('button', { name: 'Spring Sale' }).click()
    await panel
      .getByLabel('Instruction', { exact: true })
      .fill("Replace 'Spring Sale' with 'Summer Sale' while keeping the same font, size and color")
    await panel.getByText('For text changes Black Forest Labs recommends FLUX.2 [flex].').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/flux2-recommended.png` })
    await panel.getByRole('button', { name: 'Use FLUX.2 [flex]' }).click()
    // The banner goes at 2048×683 (Runware's longest side) and is asked back at 2048×672: 2 MP in,
    // 2 MP out at Runware's $0.06 a megapixel, the first one included.
    await panel.getByText('FLUX.2 [flex] · about $0.24').waitFor()
    expect(await panel.getByText('For text changes Black Forest Labs recommends').count()).toBe(0)
    await panel.getByText('Options').click()
    const model = panel.getByLabel('Model', { exact: true })
    expect(await model.inputValue()).toBe('flux2-flex')
    // A one-megapixel edit of a one-megapixel reference: where its price starts.
    expect(await model.locator('option').allTextContents()).toContain('FLUX.2 [flex] · from $0.12')
    await panel.getByLabel('Steps').waitFor()
    expect(await panel.getByLabel('Aspect ratio').locator('option').first().textContent()).toBe('Auto (the frame’s own shape)')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.getByText('Result placed').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: `${SCREENSHOTS}/flux2-placed.png` })
    const task = runware.accepted[0]!.task
    expect(task).toMatchObject({ model: 'bfl:6@1', width: 2048, height: 672, steps: 50, CFGScale: 5 })
    const [placed] = results((await current.snapshotAsync()).nodes)
    expect(placed).toMatchObject({ name: 'Banner · Kontext edit', width: 1200, height: 400 })
  })

  it('instruction templates fill the field with visible text and select the part to change', async () => {
    const { panel } = await open(frames([{ name: 'Product', x: 0, y: 0, width: 800, height: 800 }]))
    await panel.getByRole('button', { name: 'Change the background' }).click()
    // The field takes focus and selects the part to change after it renders; a designer sees that
    // selection before typing, and so does the test (typing earlier lost the first key now and then).
    const field = panel.getByLabel('Instruction', { exact: true })
    await expect
      .poll(() =>
        field.evaluate(
          (element: HTMLTextAreaElement) => element.ownerDocument.activeElement === element && element.selectionEnd > element.selectionStart
        )
      )
      .toBe(true)
    await page.keyboard.type('a beach at dawn')
    expect(await panel.getByLabel('Instruction', { exact: true }).inputValue()).toBe(
      'Replace the background with a beach at dawn, keeping the subject, its lighting and all text exactly as they are'
    )
  })

  it('edits a batch of three frames, each result beside its own source', async () => {
    runware.setLatency(1500)
    const list = [0, 1, 2].map((row) => ({ name: `Screen ${row + 1}`, x: 0, y: row * 500, width: 375, height: 400 }))
    const current = await open(frames(list, true))
    const { panel } = current
    await panel.getByText('Edit each of the 3 frames on its own').waitFor()
    await panel.getByLabel('Instruction', { exact: true }).fill('Make the buttons green')
    await panel.getByRole('button', { name: 'Edit 3 frames' }).click()
    await panel.getByText('Generating').first().waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/batch-progress.png` })
    await panel.getByText('3 of 3 frames edited').waitFor({ timeout: 30_000 })
    const placed = results((await current.snapshotAsync()).nodes)
    expect(placed.map((node) => [node.name, node.x, node.y]).sort()).toEqual([
      ['Screen 1 · Kontext edit', 415, 0],
      ['Screen 2 · Kontext edit', 415, 500],
      ['Screen 3 · Kontext edit', 415, 1000]
    ])
    expect(runware.accepted).toHaveLength(3)
  })

  it('sends several frames as references of one edit', async () => {
    const list = [
      { name: 'Scene', x: 0, y: 0, width: 1024, height: 768 },
      { name: 'Logo', x: 0, y: 900, width: 300, height: 300 }
    ]
    const current = await open(frames(list, true))
    const { panel } = current
    await panel.getByLabel('One edit with all 2 as references').check()
    await panel.getByLabel('Instruction', { exact: true }).fill('Put the logo from the second image on the shirt')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.getByText('Result placed').waitFor({ timeout: 30_000 })
    const task = runware.accepted[0]!.task as { inputs: { referenceImages: string[] } }
    expect(task.inputs.referenceImages).toHaveLength(2)
    expect(results((await current.snapshotAsync()).nodes).map((node) => [node.name, node.x, node.y])).toEqual([
      ['Scene · Kontext edit', 1064, 0]
    ])
  })

  it('places four variants side by side, each named with its number and seed', async () => {
    const current = await open(frames([{ name: 'Hero', x: 0, y: 0, width: 600, height: 400 }]))
    const { panel } = current
    await panel.getByText('Options').click()
    await panel.getByLabel('Variants').selectOption('4')
    await panel.getByLabel('Seed').fill('100')
    await panel.getByLabel('Seed').press('Tab')
    await panel.getByLabel('Instruction', { exact: true }).fill('Make it look like a watercolor')
    await panel.getByRole('button', { name: 'Edit · 4 variants' }).click()
    await panel.getByText('4 variants placed').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: `${SCREENSHOTS}/four-variants.png` })
    const placed = results((await current.snapshotAsync()).nodes).sort((a, b) => a.x - b.x)
    expect(placed.map((node) => [node.name, node.x, node.y])).toEqual([
      ['Hero · Kontext edit 1 · seed 100', 640, 0],
      ['Hero · Kontext edit 2 · seed 101', 1280, 0],
      ['Hero · Kontext edit 3 · seed 102', 1920, 0],
      ['Hero · Kontext edit 4 · seed 103', 2560, 0]
    ])
  })

  it('cancels with Esc while generating, also on the relay', async () => {
    runware.setLatency(15_000)
    const current = await open(frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }]))
    const { panel } = current
    await panel.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await page.keyboard.press('Escape')
    await panel.getByText('Canceled. Nothing was placed.').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/canceled.png` })
    expect(results((await current.snapshotAsync()).nodes)).toEqual([])
    await expect.poll(() => relay.logs.some((line) => line.includes('"job.canceled"'))).toBe(true)
  })

  it.each([
    [
      '402',
      () => runware.failNext({ kind: 'status', status: 402 }),
      'The image host account is out of credit',
      'error-insufficient-credit'
    ],
    ['moderation', () => runware.failNext({ kind: 'moderation' }), 'refused this edit under its content policy', 'error-moderated']
  ])('explains a %s from the host in plain words', async (_name, fault, message, shot) => {
    fault()
    const { panel } = await open(frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }]))
    await panel.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.getByText(message).waitFor({ timeout: 30_000 })
    await page.screenshot({ path: `${SCREENSHOTS}/${shot}.png` })
  })

  it('says when the relay is down, and offers Settings', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      storage: settings({ relayUrl: 'http://127.0.0.1:9' }),
      ...frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }])
    })
    const { panel } = figma
    await panel.getByText('Cannot reach the relay').first().waitFor()
    await panel.getByLabel('Instruction', { exact: true }).fill('Make the card background dark green')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.getByRole('button', { name: 'Open settings' }).click()
    await panel.getByLabel('Relay URL').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/error-relay-down.png` })
  })

  it('keeps settings across sessions', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      storage: {},
      ...frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }])
    })
    const { panel } = figma
    await panel.getByLabel('Access token').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/settings-first-run.png` })
    await panel.getByLabel('Relay URL').fill(relay.url)
    await panel.getByLabel('Access token').fill(relay.token)
    await panel.getByRole('button', { name: 'Test connection' }).click()
    await panel.getByText('Connected · Runware').waitFor()
    await panel.getByText('Today: 0 edits · $0.00 spent').waitFor()
    await panel.getByRole('button', { name: 'Save' }).click()
    await panel.getByLabel('Instruction', { exact: true }).waitFor()
    const storage = await figma.evalFigma((fake) => Object.fromEntries(fake.storage))
    expect(storage[SETTINGS_STORAGE_KEY]).toMatchObject({ relayUrl: relay.url, token: relay.token })

    const next = await suite.newPageAsync()
    try {
      const reopened = await openFigmaAsync(next, {
        extraDevAllowedDomains: [relay.url],
        storage,
        ...frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }])
      })
      await reopened.panel.getByLabel('Instruction', { exact: true }).waitFor()
      await reopened.panel.getByRole('button', { name: 'Settings' }).click()
      expect(await reopened.panel.getByLabel('Access token').inputValue()).toBe(relay.token)
    } finally {
      await next.close()
    }
  })

  it('reopens and recovers an edit that finished while the plugin was closed', async () => {
    runware.setLatency(2500)
    const setup = frames([{ name: 'Hero', x: 0, y: 0, width: 800, height: 500 }])
    const first = await open(setup)
    await first.panel.getByLabel('Instruction', { exact: true }).fill('Make it night time')
    await first.panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await first.panel.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await expect
      .poll(async () =>
        Object.keys(await first.evalFigma((fake) => Object.fromEntries(fake.storage))).includes('kontext-edit/pending-jobs')
      )
      .toBe(true)
    const storage = await first.evalFigma((fake) => Object.fromEntries(fake.storage))
    await page.close() // the designer closes the plugin mid-edit

    page = await suite.newPageAsync()
    const reopened = await openFigmaAsync(page, { extraDevAllowedDomains: [relay.url], storage, ...setup })
    figma = reopened
    await reopened.panel.getByText('Finished while Kontext Edit was closed').waitFor()
    await reopened.panel.getByRole('button', { name: 'Place', exact: true }).click({ timeout: 30_000 })
    await expect
      .poll(async () => results((await reopened.snapshotAsync()).nodes).map((node) => [node.name, node.x]))
      .toEqual([['Hero · Kontext edit', 840]])
    await page.screenshot({ path: `${SCREENSHOTS}/recovered.png` })
    expect(runware.accepted).toHaveLength(1)
    // Two plugin sessions and a 2.5 s generation: more than the default 20 s on two busy cores.
  }, 60_000)

  it('keeps a history of the file’s edits, with its prompt to reuse', async () => {
    const current = await open(frames([{ name: 'Hero', x: 0, y: 0, width: 600, height: 400 }]))
    const { panel } = current
    await panel.getByLabel('Instruction', { exact: true }).fill('Make it look like a watercolor')
    await panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await panel.getByText('Result placed').waitFor({ timeout: 30_000 })
    await panel.getByRole('tab', { name: /History/ }).click()
    await panel.getByText('Make it look like a watercolor').waitFor()
    await panel.locator('.history-entry img').waitFor()
    await page.screenshot({ path: `${SCREENSHOTS}/history.png` })
    await panel.getByRole('button', { name: 'Use prompt' }).click()
    expect(await panel.getByLabel('Instruction', { exact: true }).inputValue()).toBe('Make it look like a watercolor')
    const [result] = results((await current.snapshotAsync()).nodes)
    expect(result!.relaunchData).toMatchObject({ 'edit-again': expect.any(String), 'new-variation': expect.any(String) })
  })

  it('“New variation” on a result runs the same edit on its source with a new seed', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      command: 'new-variation',
      storage: settings(),
      setup: (fake) => {
        const hero = fake.frame('Hero', { x: 0, y: 0, width: 600, height: 400 })
        const result = fake.rectangle('Hero · Kontext edit', { x: 640, y: 0, width: 600, height: 400 })
        result.setPluginData(
          'kontext-edit/provenance',
          JSON.stringify({
            version: 1,
            prompt: 'Make it look like a watercolor',
            provider: 'runware',
            model: 'kontext-pro',
            seed: 7,
            options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png' },
            sourceId: hero.id,
            sourceName: 'Hero',
            relayJobId: 'job-1',
            variant: 1,
            resultWidth: 1248,
            resultHeight: 832,
            createdAt: new Date(0).toISOString()
          })
        )
        fake.select([result])
      }
    })
    await figma.panel.getByText('Result placed').waitFor({ timeout: 30_000 })
    const placed = results((await figma.snapshotAsync()).nodes).sort((a, b) => a.x - b.x)
    expect(placed.map((node) => [node.name, node.x])).toEqual([
      ['Hero · Kontext edit', 640],
      ['Hero · Kontext edit', 1280]
    ])
    const task = runware.accepted[0]!.task as { positivePrompt: string; model: string; seed?: number }
    expect(task).toMatchObject({ positivePrompt: 'Make it look like a watercolor', model: 'bfl:3@1' })
    expect(task.seed).toBeUndefined()
    const provenance = JSON.parse(placed[1]!.pluginData['kontext-edit/provenance']!) as { sourceName: string; seed: number }
    expect(provenance.sourceName).toBe('Hero')
    expect(provenance.seed).not.toBe(7)
  })

  it('offers only what the chosen host and model support', async () => {
    relay = await suite.restartRelayAsync({ COMFYUI_URL: 'http://127.0.0.1:9' })
    const { panel } = await open(frames([{ name: 'Card', x: 0, y: 0, width: 400, height: 300 }]))
    await panel.getByText('Options').click()
    const host = panel.getByLabel('Image host')
    await host.waitFor()
    expect(await host.locator('option').allTextContents()).toEqual(['Runware', 'ComfyUI (self-hosted)'])
    expect(await panel.getByLabel('Format').locator('option').allTextContents()).toEqual(['PNG', 'JPEG', 'WebP'])
    await panel.getByLabel('Safety tolerance').waitFor()
    expect(await panel.getByLabel('Steps').count()).toBe(0)
    await host.selectOption('comfyui')
    await panel.getByLabel('Steps').waitFor()
    expect(await panel.getByLabel('Model').locator('option').allTextContents()).toEqual([
      'FLUX.1 Kontext [dev] · self-hosted',
      'FLUX.2 [dev] · self-hosted'
    ])
    expect(await panel.getByLabel('Guidance').getAttribute('placeholder')).toBe('2.5 (default)')
    expect(await panel.getByLabel('Safety tolerance').count()).toBe(0)
    expect(await panel.getByLabel('Format').locator('option').allTextContents()).toEqual(['PNG'])
    await page.screenshot({ path: `${SCREENSHOTS}/options-comfyui.png` })
    await expect
      .poll(
        async () =>
          ((await figma!.evalFigma((fake) => Object.fromEntries(fake.storage)))[SETTINGS_STORAGE_KEY] as Settings).options.provider
      )
      .toBe('comfyui')
  })

  it('looks at home in the dark theme', async () => {
    figma = await openFigmaAsync(page, {
      extraDevAllowedDomains: [relay.url],
      theme: 'dark',
      storage: settings(),
      ...frames([{ name: 'Banner', x: 0, y: 0, width: 1200, height: 400, text: 'Spring Sale' }])
    })
    const { panel } = figma
    await panel.getByRole('button', { name: 'Spring Sale' }).click()
    await page.keyboard.type('Summer Sale')
    await panel.getByText('Options').click()
    await page.screenshot({ path: `${SCREENSHOTS}/dark-theme.png` })
    const background = await panel.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor)
    expect(background).toBe('rgb(44, 44, 44)')
  })

  it('labels every control and can be used from the keyboard', async () => {
    const { panel } = await open(frames([{ name: 'Banner', x: 0, y: 0, width: 1200, height: 400, text: 'Spring Sale' }]))
    await panel.getByText('Options').click()
    const unlabeled = await panel.locator('body').evaluate((body) =>
      [...body.querySelectorAll('button, input, select, textarea, summary')]
        .filter((element) => {
          const labelled =
            element.getAttribute('aria-label') ??
            (element.id !== '' ? body.ownerDocument.querySelector(`label[for="${element.id}"]`)?.textContent : null)
          const wrapped = element.closest('label')?.textContent
          return (labelled ?? wrapped ?? element.textContent ?? '').trim() === ''
        })
        .map((element) => element.outerHTML.slice(0, 80))
    )
    expect(unlabeled).toEqual([])
    // Tab reaches the instruction, typing and Ctrl+Enter runs, Esc cancels.
    await panel.getByLabel('Instruction', { exact: true }).focus()
    await page.keyboard.type('Make the banner blue')
    const focusVisible = await panel.locator('#prompt').evaluate((element) => getComputedStyle(element).boxShadow)
    expect(focusVisible).not.toBe('none')
    runware.setLatency(10_000)
    await page.keyboard.press('Control+Enter')
    await panel.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await page.keyboard.press('Escape')
    await panel.getByText('Canceled. Nothing was placed.').waitFor()
  })
})
