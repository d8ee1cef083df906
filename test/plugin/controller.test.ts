import { describe, expect, it } from 'vitest'
import { ResultImage, type PluginToUi } from '../../shared/messages'
import { SETTINGS_STORAGE_KEY, DEFAULT_SETTINGS } from '../../shared/settings'
import { createFakeFigma, FakeRectangle } from '../fakes/fake-figma'
import { makePng } from '../fakes/make-image'
import { startPlugin } from '../support/plugin-harness'

function result(width: number, height: number, sourceId: string): ResultImage {
  return ResultImage.parse({
    bytes: makePng(width, height),
    contentType: 'image/png',
    width,
    height,
    provenance: {
      version: 1,
      prompt: 'make it blue',
      provider: 'runware',
      model: 'kontext-max',
      seed: 7,
      options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png', promptUpsampling: false, safetyTolerance: 2 },
      sourceId,
      sourceName: 'Card',
      relayJobId: 'job-1',
      variant: 1,
      resultWidth: width,
      resultHeight: height,
      createdAt: new Date(0).toISOString()
    }
  })
}

async function collect(figma: ReturnType<typeof createFakeFigma>, send: () => void): Promise<PluginToUi[]> {
  const messages: PluginToUi[] = []
  const off = figma.onUiMessage((message) => messages.push(message as PluginToUi))
  send()
  await figma.flushAsync()
  off()
  return messages
}

describe('the sandbox controller', () => {
  it('logs and ignores messages it does not understand', async () => {
    const { figma, sandboxLogs } = startPlugin()
    const messages = await collect(figma, () => {
      figma.sendFromUi({ type: 'rm -rf' })
      figma.sendFromUi('hello')
      figma.sendFromUi({ type: 'export-selection' })
    })
    expect(messages).toEqual([])
    expect(sandboxLogs).toHaveLength(3)
  })

  it('says plainly when nothing is selected or a layer cannot be exported', async () => {
    const { figma } = startPlugin()
    let messages = await collect(figma, () => figma.sendFromUi({ type: 'export-selection', requestId: 'a' }))
    expect(messages).toEqual([
      { type: 'export-failed', requestId: 'a', error: { code: 'nothing_selected', message: expect.stringContaining('Select a frame') } }
    ])

    const hidden = figma.frame('Hidden', { x: 0, y: 0, width: 10, height: 10 })
    hidden.visible = false
    figma.select([hidden])
    messages = await collect(figma, () => figma.sendFromUi({ type: 'export-selection', requestId: 'b' }))
    expect(messages.at(-1)).toMatchObject({
      type: 'export-failed',
      error: { code: 'export_failed', message: expect.stringContaining('hidden') }
    })

    const broken = figma.frame('Broken', { x: 0, y: 0, width: 10, height: 10 })
    broken.exportFails = true
    figma.select([broken])
    messages = await collect(figma, () => figma.sendFromUi({ type: 'export-selection', requestId: 'c' }))
    expect(messages.at(-1)).toMatchObject({
      type: 'export-failed',
      error: { code: 'export_failed', message: expect.stringContaining('Broken') }
    })
  })

  it('exports the selection as sRGB PNGs of about one megapixel', async () => {
    const { figma } = startPlugin()
    const frame = figma.frame('Hero', { x: 0, y: 0, width: 1920, height: 1080 })
    figma.select([frame])
    const messages = await collect(figma, () => figma.sendFromUi({ type: 'export-selection', requestId: 'a' }))
    const exported = messages.find((message) => message.type === 'exported')
    expect(exported).toMatchObject({
      references: [{ sourceId: frame.id, name: 'Hero', width: 1920, height: 1080, pixelWidth: 1333, pixelHeight: 750 }]
    })
    // The debounced selection thumbnail may export too; the reference is the sRGB one.
    expect(frame.exports).toContainEqual(
      expect.objectContaining({ format: 'PNG', colorProfile: 'SRGB', constraint: { type: 'WIDTH', value: 1333 } })
    )
  })

  it('drops an export that was canceled while it ran', async () => {
    const { figma } = startPlugin()
    figma.select([figma.frame('Hero', { x: 0, y: 0, width: 100, height: 100 })])
    const messages = await collect(figma, () => {
      figma.sendFromUi({ type: 'cancel', requestId: 'a' })
      figma.sendFromUi({ type: 'export-selection', requestId: 'a' })
    })
    expect(messages.filter((message) => message.type === 'exported')).toEqual([])
  })

  it('reports the selection when it changes, with thumbnails', async () => {
    const { figma } = startPlugin()
    const frame = figma.frame('Hero', { x: 0, y: 0, width: 300, height: 150 })
    const messages = await collect(figma, () => figma.select([frame]))
    await new Promise((resolve) => setTimeout(resolve, 200))
    await figma.flushAsync()
    const selection = figma.toUi.filter((message) => (message as PluginToUi).type === 'selection')
    expect(messages.length + selection.length).toBeGreaterThan(0)
    expect(selection.at(-1)).toMatchObject({
      selection: [{ id: frame.id, name: 'Hero', width: 300, height: 150, thumbnail: expect.any(Uint8Array) }]
    })
  })

  it('opens the panel before any thumbnail is exported: init without them, then the selection with them', async () => {
    const { figma } = startPlugin()
    const frame = figma.frame('Hero', { x: 0, y: 0, width: 300, height: 150 })
    figma.select([frame])
    await new Promise((resolve) => setTimeout(resolve, 200))
    await figma.flushAsync()
    const exportsBefore = frame.exports.length
    const messages = await collect(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(messages.map((message) => message.type)).toEqual(['init', 'selection'])
    const [init, selection] = messages
    expect(init).toMatchObject({ type: 'init', selection: [{ id: frame.id, name: 'Hero', width: 300, height: 150 }] })
    expect(init?.type === 'init' && init.selection[0]).not.toHaveProperty('thumbnail')
    expect(selection).toMatchObject({ selection: [{ id: frame.id, thumbnail: expect.any(Uint8Array) }] })
    // One thumbnail export, after init.
    expect(frame.exports.length - exportsBefore).toBe(1)

    // Nothing selected: nothing to follow init.
    figma.select([])
    await new Promise((resolve) => setTimeout(resolve, 200))
    await figma.flushAsync()
    expect((await collect(figma, () => figma.sendFromUi({ type: 'ui-ready' }))).map((message) => message.type)).toEqual(['init'])
  })

  it('refuses an image Figma cannot take and leaves the canvas as it was', async () => {
    const { figma } = startPlugin()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    const before = figma.currentPage.children.length
    const messages = await collect(figma, () =>
      figma.sendFromUi({
        type: 'place-results',
        requestId: 'p',
        sourceId: card.id,
        images: [{ ...result(10, 10, card.id), width: 5000, height: 10 }]
      })
    )
    expect(messages).toEqual([
      { type: 'place-failed', requestId: 'p', error: { code: 'place_failed', message: expect.stringContaining('4096') } }
    ])
    const corrupt = await collect(figma, () =>
      figma.sendFromUi({
        type: 'place-results',
        requestId: 'q',
        sourceId: card.id,
        images: [{ ...result(10, 10, card.id), bytes: new Uint8Array([1, 2, 3]) }]
      })
    )
    expect(corrupt[0]).toMatchObject({ type: 'place-failed', error: { code: 'place_failed' } })
    expect(figma.currentPage.children.length).toBe(before)
  })

  it('places the result in the middle of the view when the source was deleted meanwhile', async () => {
    const { figma } = startPlugin()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    card.remove()
    const messages = await collect(figma, () =>
      figma.sendFromUi({ type: 'place-results', requestId: 'p', sourceId: card.id, images: [result(200, 100, card.id)] })
    )
    expect(messages[0]).toMatchObject({ type: 'placed', besideSource: false })
    const rect = figma.currentPage.children.at(-1) as FakeRectangle
    expect({ x: rect.x, y: rect.y, width: rect.width, height: rect.height }).toEqual({ x: 500, y: 350, width: 200, height: 100 })
    expect(figma.notifications.at(-1)?.message).toContain('original layer is gone')
  })

  it('places beside a source on another page, and goes to that page', async () => {
    const { figma } = startPlugin()
    const first = figma.currentPage
    const other = figma.addPage('Page 2')
    await figma.setCurrentPageAsync(other)
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    await figma.setCurrentPageAsync(first)
    const messages = await collect(figma, () =>
      figma.sendFromUi({ type: 'place-results', requestId: 'p', sourceId: card.id, images: [result(100, 100, card.id)] })
    )
    expect(messages[0]).toMatchObject({ type: 'placed', besideSource: true })
    expect(figma.currentPage).toBe(other)
    expect(other.children.at(-1)).toMatchObject({ x: 140, y: 0 })
    expect(first.children).toEqual([])
  })

  it('places beside a source on a page that is not loaded yet, loading it first', async () => {
    const { figma } = startPlugin()
    const first = figma.currentPage
    // Under documentAccess "dynamic-page", a page the designer has not opened in this session is not loaded.
    const other = figma.addPage('Page 2')
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 }, other)
    expect(() => other.children).toThrow(/loadAsync/)
    const messages = await collect(figma, () =>
      figma.sendFromUi({ type: 'place-results', requestId: 'p', sourceId: card.id, images: [result(100, 100, card.id)] })
    )
    expect(messages[0]).toMatchObject({ type: 'placed', besideSource: true })
    expect(figma.currentPage).toBe(other)
    expect(other.children.at(-1)).toMatchObject({ type: 'RECTANGLE', x: 140, y: 0 })
    expect(first.children).toEqual([])
  })

  it('selects a layer on another page by going to that page first, and always answers', async () => {
    const { figma, sandboxLogs } = startPlugin()
    const other = figma.addPage('Page 2')
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 }, other)
    const here = figma.frame('Here', { x: 0, y: 0, width: 100, height: 100 })
    const messages = await collect(figma, () => figma.sendFromUi({ type: 'select-nodes', nodeIds: [card.id, here.id] }))
    expect(messages).toEqual([{ type: 'nodes-selected', found: 1 }])
    expect(figma.currentPage).toBe(other)
    expect(other.selection).toEqual([card])
    expect(figma.scrolledTo.at(-1)).toEqual([card])
    expect(sandboxLogs).toEqual([])
  })

  it('exports a rotated frame as its bounding box, still at about one megapixel', async () => {
    const { figma } = startPlugin()
    const banner = figma.frame('Banner', { x: 0, y: 1600, width: 1600, height: 400 })
    banner.rotation = 90
    expect(banner.absoluteBoundingBox).toEqual({ x: 0, y: 0, width: 400, height: 1600 })
    figma.select([banner])
    const messages = await collect(figma, () => figma.sendFromUi({ type: 'export-selection', requestId: 'r' }))
    const exported = messages.find((message) => message.type === 'exported')
    expect(exported?.type).toBe('exported')
    const [reference] = exported?.type === 'exported' ? exported.references : []
    expect(reference!.pixelWidth * reference!.pixelHeight).toBeLessThanOrEqual(1_100_000)
    expect(Math.max(reference!.pixelWidth, reference!.pixelHeight)).toBeLessThanOrEqual(1568)
    // Tall, as the box is: the reference is what the designer sees on the canvas.
    expect(reference!.pixelHeight).toBe(reference!.pixelWidth * 4)

    const placed = await collect(figma, () =>
      figma.sendFromUi({ type: 'place-results', requestId: 'p', sourceId: banner.id, images: [result(250, 1000, banner.id)] })
    )
    // The debounced 'selection' message of figma.select may arrive in between on a busy machine.
    expect(placed.find((message) => message.type === 'placed')).toMatchObject({ type: 'placed', besideSource: true })
    expect(figma.currentPage.children.at(-1)).toMatchObject({ type: 'RECTANGLE', x: 440, y: 0, width: 400, height: 1600 })
  })

  it('honours a cancel that reaches it before the canvas is touched, and reports a late one honestly', async () => {
    const { figma } = startPlugin()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    const early = await collect(figma, () => {
      figma.sendFromUi({ type: 'cancel', requestId: 'early' })
      figma.sendFromUi({ type: 'place-results', requestId: 'early', sourceId: card.id, images: [result(100, 100, card.id)] })
    })
    expect(early).toEqual([
      { type: 'place-failed', requestId: 'early', error: { code: 'canceled', message: expect.stringContaining('result is kept') } }
    ])
    expect(figma.currentPage.children).toEqual([card])

    const late = await collect(figma, () => {
      figma.sendFromUi({ type: 'place-results', requestId: 'late', sourceId: card.id, images: [result(100, 100, card.id)] })
      figma.sendFromUi({ type: 'cancel', requestId: 'late' })
    })
    expect(late[0]).toMatchObject({ type: 'placed', requestId: 'late' })
    expect(figma.currentPage.children).toHaveLength(2)
  })

  it('offers the area of layers selected inside a frame, with init and with each selection', async () => {
    const { figma } = startPlugin()
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    const title = figma.text('Title', { x: 100, y: 80, width: 400, height: 60 }, 'Spring Sale', hero)
    figma.select([title])
    await new Promise((resolve) => setTimeout(resolve, 200))
    await figma.flushAsync()
    const area = {
      containerId: hero.id,
      nodeIds: [title.id],
      label: '“Spring Sale” in “Hero”',
      rect: { x: 100, y: 80, width: 400, height: 60 }
    }
    const selections = figma.toUi.filter(
      (message): message is Extract<PluginToUi, { type: 'selection' }> => (message as PluginToUi).type === 'selection'
    )
    expect(selections.at(-1)?.area).toMatchObject(area)
    const [init] = await collect(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(init).toMatchObject({ type: 'init', area })

    // A top-level frame is edited whole: no area, and no `area` key at all.
    figma.select([hero])
    await new Promise((resolve) => setTimeout(resolve, 200))
    await figma.flushAsync()
    expect(figma.toUi.at(-1)).toMatchObject({ type: 'selection' })
    expect(figma.toUi.at(-1)).not.toHaveProperty('area')
    const [initWhole] = await collect(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(initWhole).not.toHaveProperty('area')
  })

  it('answers an area export with the crop and the frame render, or with export-failed', async () => {
    const { figma } = startPlugin()
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    const button = figma.rectangle('Button', { x: 600, y: 500, width: 200, height: 60 }, hero)
    const request = { type: 'export-area', containerId: hero.id, nodeIds: [button.id], outputSizes: [{ width: 1024, height: 1024 }] }
    const [answer] = await collect(figma, () => figma.sendFromUi({ ...request, requestId: 'a' }))
    expect(answer).toMatchObject({
      type: 'area-exported',
      requestId: 'a',
      reference: { sourceId: hero.id, name: 'Hero', png: expect.any(Uint8Array) },
      frame: { pixelWidth: 2880, pixelHeight: 1800, png: expect.any(Uint8Array) },
      geometry: { area: { x: 600, y: 500, width: 200, height: 60 }, frameScale: 2 },
      notes: []
    })

    const canceled = await collect(figma, () => {
      figma.sendFromUi({ type: 'cancel', requestId: 'b' })
      figma.sendFromUi({ ...request, requestId: 'b' })
    })
    expect(canceled).toEqual([])
    expect(figma.slices.every((slice) => slice.removed)).toBe(true)

    const failed = await collect(figma, () => figma.sendFromUi({ ...request, containerId: '0:gone', requestId: 'c' }))
    expect(failed).toEqual([
      {
        type: 'export-failed',
        requestId: 'c',
        error: { code: 'source_missing', message: 'The frame of the area is no longer in this file.' }
      }
    ])
  })

  it('reads unreadable stored settings as the defaults', async () => {
    const { figma } = startPlugin()
    figma.storage.set(SETTINGS_STORAGE_KEY, 'garbage')
    const messages = await collect(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(messages[0]).toMatchObject({ type: 'init', settings: DEFAULT_SETTINGS })
  })
})
