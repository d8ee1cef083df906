import { imageSize } from 'image-size'
import type { Page } from 'playwright-core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { AreaProvenance } from '../../shared/area/area-geometry'
import { DEFAULT_OPTIONS, type Settings } from '../../shared/settings'
import type { FakeFigma, FakeNodeSnapshot } from '../fakes/fake-figma'
import type { FakeRunware, RunwareAnswerInput } from '../fakes/runware-server'
import type { RunningRelay } from '../support/start-relay-async'
import { openFigmaAsync, type FigmaInPage, type OpenFigmaOptions } from './harness/figma-harness'
import { SCREENSHOTS, useBrowserSuite } from './harness/use-browser-suite'
import { makeAreaAnswer, type AreaAnswerChange } from './make-area-answer'
import { areaInRender, borderStep, decodePng, inkPixels, unchangedOutside } from './measure-area-result'

const INK = [200, 30, 40] as const
const DRIFT_WARNING = 'The model also changed the surroundings; check the edges.'
const PROMPT = "Replace 'Spring Sale' with 'Summer Sale' while keeping the same font, size and color"

interface Scene {
  /** Frames with a flat fill, or none (`transparent`). */
  frames: Array<{ name: string; x: number; y: number; width: number; height: number; transparent?: boolean }>
  /** Layers inside the frames, by the frame's index: a text when `text` is set, else a rectangle. */
  layers: Array<{ frame: number; name: string; x: number; y: number; width: number; height: number; text?: string }>
  /** Which layers are selected, by index. */
  select: number[]
  /**
   * Reopening "the same file": the fake's ids are random per page, so the pending jobs kept in
   * clientStorage are pointed at this page's first frame and first layer instead of these ids.
   */
  samePendingIds?: { frame: string; layer: string }
}

/** Flat-filled frames with layers in them (positions relative to their frame), some layers selected. */
function scene(arg: Scene): Pick<OpenFigmaOptions<Scene>, 'setup' | 'setupArg'> {
  return {
    setupArg: arg,
    setup: (figma: FakeFigma, { frames, layers, select, samePendingIds }: Scene) => {
      const made = frames.map((frame) =>
        figma.frame(
          frame.name,
          { x: frame.x, y: frame.y, width: frame.width, height: frame.height },
          undefined,
          frame.transparent === true ? [] : [{ type: 'SOLID', color: { r: 0.96, g: 0.93, b: 0.86 } }]
        )
      )
      const inside = layers.map((layer) => {
        const parent = made[layer.frame]!
        const frame = frames[layer.frame]!
        const box = { x: frame.x + layer.x, y: frame.y + layer.y, width: layer.width, height: layer.height }
        return layer.text === undefined
          ? figma.rectangle(layer.name, box, parent)
          : figma.text(layer.name, box, layer.text, parent, { fontSize: 64 })
      })
      figma.select(select.map((index) => inside[index]!))
      const pending = figma.storage.get('kontext-edit/pending-jobs')
      if (samePendingIds !== undefined && pending !== undefined) {
        const text = JSON.stringify(pending).replaceAll(samePendingIds.frame, made[0]!.id).replaceAll(samePendingIds.layer, inside[0]!.id)
        figma.storage.set('kontext-edit/pending-jobs', JSON.parse(text))
      }
    }
  }
}

const HERO: Scene = {
  frames: [{ name: 'Hero', x: 0, y: 0, width: 1440, height: 900 }],
  layers: [{ frame: 0, name: 'Headline', x: 120, y: 160, width: 440, height: 80, text: 'Spring Sale' }],
  select: [0]
}

function results(nodes: FakeNodeSnapshot[]): FakeNodeSnapshot[] {
  return nodes.filter((node) => node.name.includes('Kontext edit'))
}

const areaOf = (node: FakeNodeSnapshot): AreaProvenance | undefined =>
  (JSON.parse(node.pluginData['kontext-edit/provenance']!) as { area?: AreaProvenance }).area

/**
 * Region edits in headless Chromium, as designer-flows.test.ts runs the plugin: the built sandbox
 * on the fake Figma, the built panel in its iframe, the real relay and the fake Runware, whose
 * answer here is made from the crop it receives (test/browser/make-area-answer.ts). The figures a
 * region edit promises are printed: unchanged pixels, resolution, the seam, host calls.
 */
describe('region edits in the browser', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  let page: Page
  let figma: FigmaInPage | undefined
  let change: AreaAnswerChange = { shiftX: 1, shiftY: 0, levels: 6, ink: INK }

  const suite = useBrowserSuite({
    runware: {
      apiKey: 'rw-area-key-0123456789',
      latencyMs: 300,
      answerFor: ({ references, width, height }: RunwareAnswerInput) => makeAreaAnswer(references[0]!, width, height, change)
    },
    viewport: { width: 1280, height: 900 },
    current: () => figma
  })
  beforeEach(() => {
    ;({ page, relay, runware } = suite)
    figma = undefined
    change = { shiftX: 1, shiftY: 0, levels: 6, ink: INK }
  })

  const settings = suite.settings

  async function open(arg: Scene, overrides: Partial<Settings> = {}): Promise<FigmaInPage> {
    figma = await openFigmaAsync(page, { extraDevAllowedDomains: [relay.url], storage: settings(overrides), ...scene(arg) })
    return figma
  }

  async function runAsync(current: FigmaInPage, placed = 'Result placed'): Promise<void> {
    await current.panel.getByLabel('Instruction', { exact: true }).fill(PROMPT)
    await current.panel.getByRole('button', { name: /^Edit/ }).click()
    await current.panel.getByText(placed).waitFor({ timeout: 30_000 })
  }

  async function imageOfAsync(current: FigmaInPage, node: FakeNodeSnapshot): Promise<Uint8Array> {
    const fills = node.fills
    const hash = fills === 'mixed' ? undefined : fills[0]?.imageHash
    if (hash === undefined || hash === null) throw new Error(`${node.name} has no image fill`)
    const base64 = await current.evalFigma((fake, imageHash: string) => {
      const bytes = fake.imageBytes(imageHash)!
      let binary = ''
      for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000))
      return btoa(binary)
    }, hash)
    return new Uint8Array(Buffer.from(base64, 'base64'))
  }

  /** The frame's own export at `scale`, as Figma would make it now. */
  async function frameExportAsync(current: FigmaInPage, name: string, scale: number): Promise<Uint8Array> {
    const base64 = await current.evalFigma(
      async (fake, arg: { name: string; scale: number }) => {
        const frame = fake.currentPage.children.find((node) => node.name === arg.name)!
        const bytes = await frame.exportAsync({ format: 'PNG', useAbsoluteBounds: true, constraint: { type: 'SCALE', value: arg.scale } })
        let binary = ''
        for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000))
        return btoa(binary)
      },
      { name, scale }
    )
    return new Uint8Array(Buffer.from(base64, 'base64'))
  }

  async function reselectHeadlineAsync(current: FigmaInPage): Promise<void> {
    await current.evalFigma((fake) => {
      fake.select([fake.currentPage.findOne((node) => node.name === 'Headline')!])
    })
  }

  it('with FLUX.2 [flex]: the crop keeps its own shape, the host is asked for it, and the blend holds', async () => {
    const current = await open(HERO, { options: { ...DEFAULT_OPTIONS, model: 'flux2-flex' } })
    const { panel } = current
    await panel.locator('.area-choice', { hasText: 'Area: “Spring Sale” in “Hero”' }).waitFor()
    await runAsync(current)
    const task = runware.accepted[0]!.task as { model: string; width: number; height: number; steps: number; CFGScale: number }
    const region = results((await current.snapshotAsync()).nodes).find((node) => areaOf(node) !== undefined)!
    const { geometry, drift } = areaOf(region)!
    // The crop is the headline and its context (660×300 design px), at about a megapixel: no ratio to grow it to.
    expect([geometry.crop.width, geometry.crop.height]).toEqual([660, 300])
    expect(task).toMatchObject({ model: 'bfl:6@1', steps: 50, CFGScale: 5 })
    expect(Math.abs(task.width / task.height - 660 / 300)).toBeLessThan(0.05)
    expect(task.width * task.height).toBeLessThanOrEqual(1_100_000)
    const result = decodePng(await imageOfAsync(current, region))
    const frame = decodePng(await frameExportAsync(current, 'Hero', 2))
    const { area: areaPx, band } = areaInRender(geometry, result)
    const unchanged = unchangedOutside(result, frame, band)
    expect(unchanged.same).toBe(unchanged.total)
    expect(borderStep(result, frame, areaPx, band).max).toBeLessThanOrEqual(2)
    expect(drift!.large).toBe(false)
    console.log(
      `FLUX.2 [flex] region edit: crop ${geometry.crop.width}×${geometry.crop.height} at ${geometry.cropScale.toFixed(2)}×, host asked for ${task.width}×${task.height}; ${((100 * unchanged.same) / unchanged.total).toFixed(2)} % of the pixels outside area+feather the frame's own`
    )
  })

  it('edits only the headline’s area: the frame at 2×, every pixel outside the area its own, no seam', async () => {
    const current = await open(HERO)
    const { panel } = current
    await panel.locator('.area-choice', { hasText: 'Area: “Spring Sale” in “Hero”' }).waitFor()
    expect(await panel.getByLabel('This area only').isChecked()).toBe(true)
    await page.screenshot({ path: `${SCREENSHOTS}/area-chosen.png` })

    // Today's whole-frame edit of the same frame, for comparison.
    await panel.getByLabel('The whole frame').check()
    await runAsync(current)
    const [whole] = results((await current.snapshotAsync()).nodes)
    const wholeSize = imageSize(await imageOfAsync(current, whole!))
    const wholeCalls = runware.accepted.length
    expect(areaOf(whole!)).toBeUndefined()

    await panel.getByRole('button', { name: 'New edit' }).click()
    await reselectHeadlineAsync(current)
    await panel.locator('.area-choice', { hasText: 'Area: “Spring Sale” in “Hero”' }).waitFor()
    await panel.getByLabel('This area only').check()
    await runAsync(current)
    await panel.getByRole('button', { name: 'After' }).waitFor()
    await panel.locator('.area-compare').scrollIntoViewIfNeeded()
    await page.screenshot({ path: `${SCREENSHOTS}/area-outcome-after.png` })
    await panel.getByRole('button', { name: 'Before' }).click()
    await page.screenshot({ path: `${SCREENSHOTS}/area-outcome-before.png` })
    expect(await panel.getByText(DRIFT_WARNING).count()).toBe(0)

    const snapshot = await current.snapshotAsync()
    const region = results(snapshot.nodes).find((node) => areaOf(node) !== undefined)!
    expect([region.name, region.x, region.y, region.width, region.height]).toEqual(['Hero · Kontext edit', 2960, 0, 1440, 900])
    const result = decodePng(await imageOfAsync(current, region))
    expect([result.width, result.height]).toEqual([2880, 1800])

    const area = areaOf(region)!
    expect(area).toMatchObject({ containerId: expect.any(String), label: '“Spring Sale” in “Hero”', drift: { large: false } })
    const frame = decodePng(await frameExportAsync(current, 'Hero', 2))
    const { area: areaPx, band } = areaInRender(area.geometry, result)
    const unchanged = unchangedOutside(result, frame, band)
    const step = borderStep(result, frame, areaPx, band)
    const changed = inkPixels(result, areaPx, INK)
    const regionCalls = runware.accepted.length - wholeCalls
    const regionResults = runware.accepted.slice(wholeCalls).map((task) => (task.task as { numberResults?: number }).numberResults ?? 1)
    // Pixels of the area per design pixel: the placed result's, and what the model itself drew there.
    const resultPerAxis = result.width / 1440 / (wholeSize.width / 1440)
    const modelPerAxis = area.geometry.cropScale / (wholeSize.width / 1440)
    console.log(
      [
        'region edit of a 1440×900 frame, headline 440×80 selected:',
        `  pixels outside area+feather identical to the frame's own 2× export: ${((100 * unchanged.same) / unchanged.total).toFixed(2)} % (${unchanged.same.toLocaleString('en')} of ${unchanged.total.toLocaleString('en')})`,
        `  result ${result.width}×${result.height} vs today's whole-frame ${wholeSize.width}×${wholeSize.height}: the area has ${resultPerAxis.toFixed(2)}× the pixels per axis`,
        `  the model drew the area at ${area.geometry.cropScale.toFixed(2)} px per design px (today ${(wholeSize.width / 1440).toFixed(2)}): ${modelPerAxis.toFixed(2)}× per axis`,
        `  answer +${change.levels} levels, moved ${change.shiftX} px: drift measured r ${area.drift!.r.toFixed(1)} g ${area.drift!.g.toFixed(1)} b ${area.drift!.b.toFixed(1)}, offset ${area.drift!.offsetX},${area.drift!.offsetY}; step across the area's border on the flat background: ${step.max} levels (${step.pairs.toLocaleString('en')} pixel pairs)`,
        `  host calls per region edit: ${regionCalls} (${regionResults.join('+')} result) for 1 variant; the whole-frame edit made ${wholeCalls}`
      ].join('\n')
    )
    expect(unchanged.total).toBeGreaterThan(2880 * 1800 * 0.9)
    expect(unchanged.same).toBe(unchanged.total)
    expect(resultPerAxis).toBeGreaterThanOrEqual(2)
    // What the model itself drew there, not only the pixels it was enlarged to: the crop is about one
    // and a half times the headline, at ~1 MP.
    expect(modelPerAxis).toBeGreaterThanOrEqual(2)
    expect(step.pairs).toBeGreaterThan(1000)
    expect(step.max).toBeLessThanOrEqual(2)
    expect(changed).toBeGreaterThan(500)
    expect(regionCalls).toBe(1)
    expect(regionResults).toEqual([1])

    // Edit again on the region result (selected once placed): the same area of it, linked back to it.
    await panel.getByRole('button', { name: 'New edit' }).click()
    await panel.locator('.area-choice', { hasText: 'Area: “Spring Sale” in “Hero”' }).waitFor()
    await runAsync(current)
    const again = results((await current.snapshotAsync()).nodes).find((node) => areaOf(node)?.containerId === region.id)
    expect(again).toBeDefined()
    expect(areaOf(again!)!.geometry.area).toEqual(area.geometry.area)
    expect(JSON.parse(again!.pluginData['kontext-edit/provenance']!)).toMatchObject({ parent: { nodeId: region.id } })
    expect(imageSize(await imageOfAsync(current, again!))).toMatchObject({ width: 2880, height: 1800 })
  }, 90_000)

  it('keeps a transparent frame’s own pixels outside the area too, semi-transparent edges included', async () => {
    // Through the real flow. The harness renders with a canvas, whose semi-transparent pixels already
    // survive another canvas; prepare-composite-on-canvas.test.ts holds the compositor to arbitrary ones.
    const current = await open({
      ...HERO,
      frames: [{ ...HERO.frames[0]!, transparent: true }],
      layers: [...HERO.layers, { frame: 0, name: 'Legal', x: 120, y: 700, width: 600, height: 80, text: 'Terms apply' }]
    })
    await current.panel.locator('.area-choice', { hasText: 'Spring Sale' }).waitFor()
    await runAsync(current)
    const [placed] = results((await current.snapshotAsync()).nodes)
    const result = decodePng(await imageOfAsync(current, placed!))
    const frame = decodePng(await frameExportAsync(current, 'Hero', 2))
    const { band } = areaInRender(areaOf(placed!)!.geometry, result)
    const unchanged = unchangedOutside(result, frame, band)
    let translucent = 0
    for (let y = 0; y < frame.height; y += 1)
      for (let x = 0; x < frame.width; x += 1) {
        const alpha = frame.data[(y * frame.width + x) * 4 + 3]!
        const outside = x < band.x || x >= band.x + band.width || y < band.y || y >= band.y + band.height
        if (outside && alpha > 0 && alpha < 255) translucent += 1
      }
    console.log(
      `transparent frame: ${((100 * unchanged.same) / unchanged.total).toFixed(2)} % of the pixels outside area+feather identical (${translucent.toLocaleString('en')} of them semi-transparent)`
    )
    expect(translucent).toBeGreaterThan(0)
    expect(unchanged.same).toBe(unchanged.total)
  }, 60_000)

  it('warns when the model changed the surroundings, and blends every variant of one upload', async () => {
    change = { shiftX: 14, shiftY: 9, levels: 40, ink: INK }
    const current = await open(HERO)
    await current.panel.locator('.area-choice', { hasText: 'Spring Sale' }).waitFor()
    await current.panel.getByText('Options').click()
    await current.panel.getByLabel('Variants').selectOption('2')
    await runAsync(current, '2 variants placed')
    await current.panel.getByText(DRIFT_WARNING).waitFor()
    await current.panel.getByRole('button', { name: 'After 2' }).click()
    const zoom = current.panel.locator('.area-zoom')
    await zoom.click()
    expect(await zoom.getAttribute('aria-pressed')).toBe('true')
    await zoom.click()
    expect(await zoom.getAttribute('aria-pressed')).toBe('false')
    await current.panel.getByText(DRIFT_WARNING).scrollIntoViewIfNeeded()
    await page.screenshot({ path: `${SCREENSHOTS}/area-outcome-drift.png` })
    const placed = results((await current.snapshotAsync()).nodes)
    expect(placed.map((node) => areaOf(node)?.drift?.large)).toEqual([true, true])
    const tasks = runware.accepted.map((task) => (task.task as { numberResults?: number }).numberResults ?? 1)
    console.log(
      `region edit, 2 variants: ${runware.accepted.length} host call(s) making ${tasks.join('+')} results (Runware makes up to 4 a call, as for a whole frame)`
    )
    expect(tasks.reduce((sum, count) => sum + count, 0)).toBe(2)
    expect(runware.accepted).toHaveLength(1)
  }, 60_000)

  it('recovers a region edit that finished while the plugin was closed, and blends it into the frame', async () => {
    runware.setLatency(2500)
    const first = await open(HERO)
    await first.panel.locator('.area-choice', { hasText: 'Spring Sale' }).waitFor()
    await first.panel.getByLabel('Instruction', { exact: true }).fill(PROMPT)
    await first.panel.getByRole('button', { name: 'Edit', exact: true }).click()
    await first.panel.locator('.stage.active', { hasText: 'Generating' }).waitFor()
    await expect
      .poll(async () =>
        Object.keys(await first.evalFigma((fake) => Object.fromEntries(fake.storage))).includes('kontext-edit/pending-jobs')
      )
      .toBe(true)
    const storage = await first.evalFigma((fake) => Object.fromEntries(fake.storage))
    const ids = await first.evalFigma((fake) => {
      const hero = fake.currentPage.children.find((node) => node.name === 'Hero')!
      return { frame: hero.id, layer: fake.currentPage.selection[0]!.id }
    })
    await page.close() // the designer closes the plugin mid-edit

    const reopenAsync = async (arg: Scene): Promise<FakeNodeSnapshot> => {
      page = await suite.newPageAsync()
      const reopened = await openFigmaAsync(page, { extraDevAllowedDomains: [relay.url], storage, ...scene(arg) })
      figma = reopened
      await reopened.panel.getByText('Finished while Kontext Edit was closed').waitFor()
      const place = reopened.panel.getByRole('button', { name: 'Place', exact: true })
      await expect.poll(() => place.isEnabled(), { timeout: 30_000 }).toBe(true)
      const gone = await reopened.panel.getByText('The frame changed or is gone since this edit started').count()
      expect(gone).toBe(arg.samePendingIds === undefined ? 1 : 0)
      await place.click()
      await expect.poll(async () => results((await reopened.snapshotAsync()).nodes).length).toBe(1)
      const [placed] = results((await reopened.snapshotAsync()).nodes)
      const size = imageSize(await imageOfAsync(reopened, placed!))
      console.log(
        `recovered region edit, ${arg.samePendingIds === undefined ? 'its frame gone' : 'its frame there'}: ${size.width}×${size.height} placed`
      )
      expect(runware.accepted).toHaveLength(1)
      return { ...placed!, width: size.width, height: size.height }
    }
    // The same file: the area is exported again and the answer blended into it.
    const blended = await reopenAsync({ ...HERO, samePendingIds: ids })
    expect([blended.width, blended.height]).toEqual([2880, 1800])
    expect(areaOf(blended)).toMatchObject({ label: '“Spring Sale” in “Hero”', drift: { large: false } })
    await page.close()
    // A file without that frame any more: the paid answer is placed as the model made it.
    const asIs = await reopenAsync(HERO)
    expect(asIs.width * asIs.height).toBeLessThan(1.2e6)
    expect(areaOf(asIs)).toBeUndefined()
  }, 60_000)

  it.each([
    {
      name: 'a selection spanning two frames',
      scene: {
        frames: [
          { name: 'Hero', x: 0, y: 0, width: 1440, height: 900 },
          { name: 'Footer', x: 0, y: 1000, width: 1440, height: 400 }
        ],
        layers: [
          { frame: 0, name: 'Headline', x: 120, y: 160, width: 360, height: 80, text: 'Spring Sale' },
          { frame: 1, name: 'Legal', x: 120, y: 40, width: 360, height: 80, text: 'Terms apply' }
        ],
        select: [0, 1]
      },
      says: 'The selected layers are in 2 frames'
    },
    {
      name: 'a tiny area',
      scene: { ...HERO, layers: [{ frame: 0, name: 'Dot', x: 700, y: 400, width: 5, height: 5 }] },
      says: 'under 8 px on a side'
    },
    {
      name: 'an area covering the frame',
      scene: { ...HERO, layers: [{ frame: 0, name: 'Backdrop', x: 10, y: 10, width: 1420, height: 880 }] },
      says: 'covers almost all of “Hero”'
    }
  ])(
    '$name: says so in a plain line and edits the whole frame',
    async ({ scene: arg, says }) => {
      const current = await open(arg)
      const line = current.panel.locator('.area-choice [role="note"]', { hasText: says })
      const said = await line.textContent()
      expect(await current.panel.getByLabel('This area only').count()).toBe(0)
      await runAsync(current)
      const [placed] = results((await current.snapshotAsync()).nodes)
      expect(placed!.name).toBe('Hero · Kontext edit')
      expect(areaOf(placed!)).toBeUndefined()
      // The whole frame went to the model: its answer is one of the nine Kontext sizes.
      const size = imageSize(await imageOfAsync(current, placed!))
      expect(size.width * size.height).toBeLessThan(1.2e6)
      console.log(`${arg.layers.map((layer) => layer.name).join(' + ')}: “${said}” → whole frame, ${size.width}×${size.height}`)
    },
    60_000
  )

  it('a frame over 4096 px at 2× is rendered at a lower scale, and says so', async () => {
    const current = await open({
      frames: [{ name: 'Poster', x: 0, y: 0, width: 5000, height: 3000 }],
      layers: [{ frame: 0, name: 'Headline', x: 400, y: 400, width: 360, height: 80, text: 'Spring Sale' }],
      select: [0]
    })
    await current.panel.locator('.area-choice', { hasText: '“Spring Sale” in “Poster”' }).waitFor()
    await runAsync(current)
    const note = current.panel.locator('.area-outcome .hint', { hasText: 'larger than 4096 px' })
    await note.waitFor()
    const [placed] = results((await current.snapshotAsync()).nodes)
    const size = imageSize(await imageOfAsync(current, placed!))
    console.log(`5000×3000 frame: “${await note.textContent()}” → ${size.width}×${size.height}`)
    expect(size.width).toBeLessThanOrEqual(4096)
    expect(size.width).toBeGreaterThan(4000)
    expect(areaOf(placed!)?.geometry.frameScale).toBeLessThan(1)
  }, 60_000)
})
