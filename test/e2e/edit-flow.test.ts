import { imageSize } from 'image-size'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PluginToUi } from '../../shared/messages'
import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import { DEFAULT_OPTIONS, SETTINGS_STORAGE_KEY } from '../../shared/settings'
import { placePendingAsync } from '../../ui/edit/place-pending-async'
import { produceResultsAsync } from '../../ui/edit/produce-results-async'
import { createFakeFigma, FakeRectangle, type FakeFigma, type FakeFrame, type FakeSceneNode } from '../fakes/fake-figma'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { editDeps, editInput, startPlugin } from '../support/plugin-harness'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'

const PROMPT = "Replace 'Spring Sale' with 'Summer Sale' while keeping the same font style and color"

function snapshot(node: FakeSceneNode) {
  return {
    name: node.name,
    x: node.x,
    y: node.y,
    width: node.width,
    height: node.height,
    parent: node.parent?.id,
    fills: node instanceof FakeRectangle ? JSON.stringify(node.fills) : undefined,
    pluginData: [...node.pluginData]
  }
}

describe('an edit from the selected frame to a placed layer', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  let figma: FakeFigma
  let hero: FakeFrame

  beforeEach(async () => {
    runware = await startFakeRunwareAsync({ apiKey: 'rw-test-key-0123456789' })
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
    figma = createFakeFigma()
    hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.rectangle('Spring Sale banner', { x: 100, y: 100, width: 600, height: 200 }, hero)
    // Something already sits where the result would go: the result must step past it.
    figma.frame('Notes', { x: 1480, y: 0, width: 400, height: 300 })
    figma.select([hero])
  })

  afterEach(async () => {
    await relay.close()
    await runware.close()
  })

  it('places the result beside the source as one undoable IMAGE layer and leaves the source untouched', async () => {
    const { bridge } = startPlugin(figma)
    const before = snapshot(hero)
    const childrenBefore = figma.currentPage.children.map((node) => node.id)
    const progress: string[] = []
    const deps = editDeps(bridge, relay.url, relay.token, progress)
    const signal = new AbortController().signal

    const pending = await produceResultsAsync(editInput('r1', PROMPT, DEFAULT_OPTIONS), deps, signal)
    const placed = await placePendingAsync(pending, deps, signal)
    await figma.flushAsync()

    expect([...new Set(progress)]).toEqual(['exporting', 'uploading', 'generating', 'downloading', 'placing'])
    expect(placed.besideSource).toBe(true)
    expect(placed.nodeIds).toHaveLength(1)

    const result = figma.currentPage.children.find((node) => node.id === placed.nodeIds[0])
    expect(result).toBeInstanceOf(FakeRectangle)
    const rect = result as FakeRectangle
    expect(rect.parent).toBe(figma.currentPage)
    // 40 px right of "Notes", which stands 40 px right of the source.
    expect({ x: rect.x, y: rect.y, width: rect.width, height: rect.height }).toEqual({ x: 1480 + 400 + 40, y: 0, width: 1440, height: 900 })
    expect(rect.name).toBe('Hero · Kontext edit')
    const fills = rect.fills
    expect(Array.isArray(fills)).toBe(true)
    const [fill] = fills as ReadonlyArray<Paint>
    expect(fill).toMatchObject({ type: 'IMAGE', scaleMode: 'FILL' })
    const placedBytes = figma.imageBytes((fill as ImagePaint).imageHash!)!
    expect(imageSize(placedBytes)).toMatchObject({ width: 1248, height: 832, type: 'png' })

    const provenance = Provenance.parse(JSON.parse(rect.getPluginData(PROVENANCE_KEY)))
    expect(provenance).toMatchObject({
      prompt: PROMPT,
      provider: 'runware',
      model: 'kontext-max',
      sourceId: hero.id,
      sourceName: 'Hero',
      relayJobId: pending.job.id,
      variant: 1,
      resultWidth: 1248,
      resultHeight: 832
    })
    expect(provenance.seed).toEqual(expect.any(Number))
    expect(Date.parse(provenance.createdAt)).not.toBeNaN()

    expect(figma.currentPage.selection).toEqual([rect])
    expect(figma.scrolledTo.at(-1)).toEqual([rect])
    expect(snapshot(hero)).toEqual(before)

    // The host saw exactly one paid task with the one-megapixel reference of the frame.
    expect(runware.accepted).toHaveLength(1)
    const task = runware.accepted[0]!.task as { inputs: { referenceImages: string[] }; width: number; height: number; model: string }
    expect(task.model).toBe('bfl:4@1')
    expect({ width: task.width, height: task.height }).toEqual({ width: 1248, height: 832 })
    const reference = Buffer.from(task.inputs.referenceImages[0]!.split(',')[1]!, 'base64')
    expect(imageSize(reference)).toMatchObject({ width: 1265, height: 791, type: 'png' })

    // One Cmd/Ctrl+Z removes the result and nothing else.
    figma.undo()
    expect(rect.removed).toBe(true)
    expect(figma.currentPage.children.map((node) => node.id)).toEqual(childrenBefore)
    expect(snapshot(hero)).toEqual(before)
  })

  it('places variants side by side, each named and carrying its own seed', async () => {
    const { bridge } = startPlugin(figma)
    const deps = editDeps(bridge, relay.url, relay.token)
    const signal = new AbortController().signal
    const pending = await produceResultsAsync(editInput('r2', PROMPT, { ...DEFAULT_OPTIONS, numImages: 3, seed: 42 }), deps, signal)
    const placed = await placePendingAsync(pending, deps, signal)
    const rects = placed.nodeIds.map((id) => figma.currentPage.children.find((node) => node.id === id) as FakeRectangle)
    expect(rects.map((rect) => rect.name)).toEqual([
      'Hero · Kontext edit 1 · seed 42',
      'Hero · Kontext edit 2 · seed 43',
      'Hero · Kontext edit 3 · seed 44'
    ])
    expect(rects.map((rect) => rect.x)).toEqual([1920, 1920 + 1440 + 40, 1920 + 2 * (1440 + 40)])
    const seeds = rects.map((rect) => Provenance.parse(JSON.parse(rect.getPluginData(PROVENANCE_KEY))).seed)
    expect(seeds).toEqual([42, 43, 44])
    figma.undo()
    expect(rects.every((rect) => rect.removed)).toBe(true)
  })

  it('puts the result at page level when the source sits inside an auto-layout frame', async () => {
    const stack = figma.frame('Stack', { x: 0, y: 1200, width: 800, height: 600 })
    stack.layoutMode = 'VERTICAL'
    const card = figma.frame('Card', { x: 20, y: 20, width: 400, height: 300 }, stack)
    figma.select([card])
    const { bridge } = startPlugin(figma)
    const deps = editDeps(bridge, relay.url, relay.token)
    const signal = new AbortController().signal
    const pending = await produceResultsAsync(editInput('r3', PROMPT, DEFAULT_OPTIONS), deps, signal)
    const placed = await placePendingAsync(pending, deps, signal)
    const rect = figma.currentPage.children.find((node) => node.id === placed.nodeIds[0]) as FakeRectangle
    expect(rect.parent).toBe(figma.currentPage)
    expect(stack.children).toEqual([card])
    // Beside the auto-layout frame, since the spot next to the card lies inside it.
    expect({ x: rect.x, y: rect.y, width: rect.width, height: rect.height }).toEqual({ x: 800 + 40, y: 1220, width: 400, height: 300 })
  })

  it('cancels on the relay when the designer cancels while the image generates', async () => {
    runware.setLatency(5000)
    const { bridge } = startPlugin(figma)
    const progress: string[] = []
    const deps = editDeps(bridge, relay.url, relay.token, progress)
    const controller = new AbortController()
    const running = produceResultsAsync(editInput('r4', PROMPT, DEFAULT_OPTIONS), deps, controller.signal)
    while (!progress.includes('generating')) await new Promise((resolve) => setTimeout(resolve, 10))
    controller.abort(new Error('canceled by the designer'))
    await expect(running).rejects.toThrow('canceled by the designer')
    await relay.relay.jobs.settleAsync()
    const jobs = [...relay.logs].map((line) => JSON.parse(line) as { event: string }).filter((line) => line.event === 'job.canceled')
    expect(jobs).toHaveLength(1)
    expect(figma.currentPage.children.some((node) => node.name.includes('Kontext edit'))).toBe(false)
  })

  it('keeps settings in clientStorage and hands them to the panel when it opens', async () => {
    const { figma: fig, bridge } = startPlugin(figma)
    const messages: PluginToUi[] = []
    bridge.on((message) => messages.push(message))
    const settings = {
      version: 1 as const,
      relayUrl: 'https://relay.example.com',
      token: 'abc-token',
      options: { ...DEFAULT_OPTIONS, numImages: 2 }
    }
    bridge.post({ type: 'save-settings', settings })
    await fig.flushAsync()
    expect(fig.storage.get(SETTINGS_STORAGE_KEY)).toEqual(settings)
    bridge.post({ type: 'ui-ready' })
    await fig.flushAsync()
    const init = messages.find((message) => message.type === 'init')
    expect(init).toMatchObject({ type: 'init', settings, selection: [{ id: hero.id, name: 'Hero', width: 1440, height: 900 }] })
  })
})
