import { describe, expect, it } from 'vitest'
import { collectTexts } from '../../plugin/selection/collect-texts'
import { readProvenance } from '../../plugin/selection/read-provenance'
import { readSelectionAsync } from '../../plugin/selection/read-selection-async'
import type { PortSceneNode } from '../../plugin/figma-port'
import { PROVENANCE_KEY, type Provenance } from '../../shared/provenance'
import { createFakeFigma } from '../fakes/fake-figma'

const provenance: Provenance = {
  version: 1,
  prompt: 'Make it blue',
  provider: 'runware',
  model: 'kontext-max',
  seed: 7,
  options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png' },
  sourceId: '1:1',
  sourceName: 'Hero',
  relayJobId: 'job-1',
  variant: 1,
  resultWidth: 1024,
  resultHeight: 1024,
  createdAt: '2026-01-01T00:00:00.000Z'
}

describe('reading the selection for the panel', () => {
  it('describes each layer, rounding its size, with a thumbnail of at most 120 px a side', async () => {
    const figma = createFakeFigma()
    const wide = figma.frame('Wide', { x: 0, y: 0, width: 300.4, height: 100.6 })
    figma.text('Title', { x: 10, y: 10, width: 80, height: 20 }, 'Spring Sale', wide)
    const tall = figma.frame('Tall', { x: 400, y: 0, width: 100, height: 300 })
    const square = figma.frame('Square', { x: 600, y: 0, width: 50, height: 50 })
    const [first, second, third] = await readSelectionAsync([wide, tall, square])
    expect(first).toMatchObject({ id: wide.id, name: 'Wide', type: 'FRAME', width: 300, height: 101 })
    expect(first!.texts).toEqual([{ id: expect.any(String), characters: 'Spring Sale' }])
    expect(first!.thumbnail).toBeInstanceOf(Uint8Array)
    expect('problem' in first!).toBe(false)
    expect('provenance' in first!).toBe(false)
    expect(second!.thumbnail).toBeInstanceOf(Uint8Array)
    expect(third!.thumbnail).toBeInstanceOf(Uint8Array)
    expect(wide.exports).toEqual([{ format: 'PNG', constraint: { type: 'WIDTH', value: 120 }, useAbsoluteBounds: true }])
    expect(tall.exports).toEqual([{ format: 'PNG', constraint: { type: 'HEIGHT', value: 120 }, useAbsoluteBounds: true }])
    expect(square.exports).toEqual([{ format: 'PNG', constraint: { type: 'WIDTH', value: 120 }, useAbsoluteBounds: true }])
  })

  it('leaves thumbnails out when asked, exporting nothing, with everything else the same', async () => {
    const figma = createFakeFigma()
    const wide = figma.frame('Wide', { x: 0, y: 0, width: 300.4, height: 100.6 })
    figma.text('Title', { x: 10, y: 10, width: 80, height: 20 }, 'Spring Sale', wide)
    const [item] = await readSelectionAsync([wide], { thumbnails: false })
    expect(item).toEqual({
      id: wide.id,
      name: 'Wide',
      type: 'FRAME',
      width: 300,
      height: 101,
      texts: [{ id: expect.any(String), characters: 'Spring Sale' }]
    })
    expect(wide.exports).toEqual([])
    const [full] = await readSelectionAsync([wide])
    expect(full).toEqual({ ...item, thumbnail: expect.any(Uint8Array) })
  })

  it('exports thumbnails for the first six layers only', async () => {
    const figma = createFakeFigma()
    const layers = Array.from({ length: 7 }, (_, index) => figma.frame(`F${index}`, { x: index * 200, y: 0, width: 100, height: 100 }))
    const items = await readSelectionAsync(layers)
    expect(items.map((item) => item.thumbnail !== undefined)).toEqual([true, true, true, true, true, true, false])
    expect(items[6]).not.toHaveProperty('problem')
    expect(layers[6]!.exports).toEqual([])
  })

  it('says why a layer cannot be edited, without exporting it', async () => {
    const figma = createFakeFigma()
    const hidden = figma.frame('Hidden', { x: 0, y: 0, width: 100, height: 100 })
    hidden.visible = false
    const [item] = await readSelectionAsync([hidden])
    expect(item).toMatchObject({ problem: 'This layer is hidden. Show it to edit it.' })
    expect(item).not.toHaveProperty('thumbnail')
    expect(hidden.exports).toEqual([])
  })

  it('says so when Figma cannot export the layer', async () => {
    const figma = createFakeFigma()
    const broken = figma.frame('Broken', { x: 0, y: 0, width: 100, height: 100 })
    broken.exportFails = true
    const [item] = await readSelectionAsync([broken])
    expect(item).toMatchObject({ problem: 'Figma could not export this layer as an image.' })
    expect(item).not.toHaveProperty('thumbnail')
  })

  it('carries a result’s provenance', async () => {
    const figma = createFakeFigma()
    const result = figma.rectangle('Hero · Kontext edit', { x: 0, y: 0, width: 100, height: 100 })
    result.setPluginData(PROVENANCE_KEY, JSON.stringify(provenance))
    const [item] = await readSelectionAsync([result])
    expect(item!.provenance).toEqual(provenance)
  })
})

describe('reading a result’s provenance', () => {
  const withData = (data: string) => {
    const node = createFakeFigma().rectangle('R', { x: 0, y: 0, width: 10, height: 10 })
    if (data !== '') node.setPluginData(PROVENANCE_KEY, data)
    return node
  }

  it('reads what placing the result stored', () => {
    expect(readProvenance(withData(JSON.stringify(provenance)))).toEqual(provenance)
  })

  it.each([
    ['no data', ''],
    ['data that is not JSON', '{not json'],
    ['JSON that is not a provenance', JSON.stringify({ ...provenance, version: 2 })]
  ])('has none for %s', (_, data) => {
    expect(readProvenance(withData(data))).toBeUndefined()
  })
})

describe('the text layers in reading order', () => {
  it('keeps at most 40 layers and 200 characters of each', () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Long', { x: 0, y: 0, width: 400, height: 3000 })
    for (let row = 0; row < 41; row += 1) figma.text(`T${row}`, { x: 0, y: row * 50, width: 100, height: 20 }, `line ${row}`, frame)
    figma.text('Essay', { x: 0, y: -100, width: 100, height: 20 }, 'x'.repeat(201), frame)
    const texts = collectTexts(frame)
    expect(texts).toHaveLength(40)
    expect(texts[0]!.characters).toBe('x'.repeat(200))
    expect(texts[39]!.characters).toBe('line 38')
  })

  it('stops looking after 160 layers, so a huge frame stays quick', () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Huge', { x: 0, y: 0, width: 400, height: 9000 })
    for (let row = 0; row < 160; row += 1) figma.text(`T${row}`, { x: 0, y: 100 + row * 50, width: 100, height: 20 }, `line ${row}`, frame)
    figma.text('Late', { x: 0, y: 0, width: 100, height: 20 }, 'late but on top', frame)
    expect(collectTexts(frame)[0]!.characters).toBe('line 0')
  })

  it('puts two layers on one line when their centres are closer than half the smaller height', () => {
    const figma = createFakeFigma()
    const order = (other: { y: number; height: number }) => {
      const frame = figma.frame('Row', { x: 0, y: 0, width: 400, height: 400 })
      figma.text('Right', { x: 200, y: 100, width: 100, height: 20 }, 'right', frame)
      figma.text('Left', { x: 0, ...other, width: 100 }, 'left', frame)
      return collectTexts(frame).map((text) => text.characters)
    }
    // Right's centre is at 110, half its height 10.
    expect(order({ y: 109.5, height: 20 })).toEqual(['left', 'right'])
    expect(order({ y: 110, height: 20 })).toEqual(['right', 'left'])
    expect(order({ y: 80, height: 20 })).toEqual(['left', 'right'])
    // A tall neighbour: the smaller height decides.
    expect(order({ y: 70, height: 100 })).toEqual(['right', 'left'])
    expect(order({ y: 69.5, height: 100 })).toEqual(['left', 'right'])
  })

  it('takes only text layers with characters and a box on the page', () => {
    // Plain nodes: Figma gives a text layer no box while it is not rendered, which the fake never does.
    const node = (type: string, characters: string | undefined, box: Rect | null, children?: PortSceneNode[]): PortSceneNode => ({
      id: `${type}-${characters ?? 'none'}`,
      type,
      name: type,
      removed: false,
      parent: null,
      width: 10,
      height: 10,
      visible: true,
      absoluteBoundingBox: box,
      ...(characters === undefined ? {} : { characters }),
      ...(children === undefined ? {} : { children }),
      exportAsync: async () => new Uint8Array(),
      getPluginData: () => ''
    })
    const box = { x: 0, y: 0, width: 10, height: 10 }
    const root = node('FRAME', undefined, box, [
      node('TEXT', 'kept', box),
      node('TEXT', 'unrendered', null),
      node('TEXT', undefined, box),
      node('STICKY', 'not a text layer', box)
    ])
    expect(collectTexts(root)).toEqual([{ id: 'TEXT-kept', characters: 'kept' }])
  })
})
