import { imageSize } from 'image-size'
import { readFileSync } from 'node:fs'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { createFakeFigma } from './fake-figma'

/** The fake keeps Figma's rules and is never stricter than Figma (sources in its header). */
describe('the fake Figma', () => {
  it('truncates a notification past 100 characters, as Figma does, instead of throwing', () => {
    const figma = createFakeFigma()
    expect(() => figma.notify('x'.repeat(150))).not.toThrow()
    expect(figma.notifications.at(-1)?.message).toBe('x'.repeat(100))
  })

  it('keeps relaunch data for a command the manifest lacks, and shows no button for it', () => {
    const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as { relaunchButtons: Array<{ command: string }> }
    const figma = createFakeFigma({ manifest })
    const rect = figma.rectangle('Result', { x: 0, y: 0, width: 10, height: 10 })
    expect(() => rect.setRelaunchData({ 'edit-again': 'Edit', retired: 'Gone from the manifest' })).not.toThrow()
    expect(rect.getRelaunchData()).toEqual({ 'edit-again': 'Edit', retired: 'Gone from the manifest' })
    expect(rect.shownRelaunchButtons()).toEqual(['edit-again'])
    // What Figma does throw for.
    expect(() => rect.setRelaunchData({ 'edit-again': 'x'.repeat(1001) })).toThrow(/1000/)
  })

  it('refuses another page’s nodes in a page’s selection, with Figma’s message', async () => {
    const figma = createFakeFigma()
    const other = figma.addPage('Page 2')
    const there = figma.frame('There', { x: 0, y: 0, width: 10, height: 10 }, other)
    expect(() => (figma.currentPage.selection = [there])).toThrow('The selection of a page can only include nodes in that page')
    await figma.setCurrentPageAsync(other)
    figma.currentPage.selection = [there]
    expect(other.selection).toEqual([there])
  })

  it('loads only the page open at launch; another page’s children need loadAsync', async () => {
    const figma = createFakeFigma()
    expect(figma.currentPage.children).toEqual([])
    const other = figma.addPage('Page 2')
    figma.frame('There', { x: 0, y: 0, width: 10, height: 10 }, other)
    expect(() => other.children).toThrow(/loadAsync/)
    expect(() => other.findAll()).toThrow(/loadAsync/)
    expect(await figma.getNodeByIdAsync(other.contents[0]!.id)).toBe(other.contents[0])
    await other.loadAsync()
    expect(other.children.map((node) => node.name)).toEqual(['There'])
  })

  it('turns a node about its top-left corner and exports its axis-aligned box', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 100, y: 100, width: 200, height: 100 })
    card.rotation = 45
    const box = card.absoluteBoundingBox!
    const side = Math.SQRT1_2
    expect(box.x).toBeCloseTo(100)
    expect(box.y).toBeCloseTo(100 - 200 * side)
    expect(box.width).toBeCloseTo(200 * side + 100 * side)
    expect(box.height).toBeCloseTo(200 * side + 100 * side)
    const png = await card.exportAsync({ format: 'PNG', constraint: { type: 'WIDTH', value: 424 } })
    expect(imageSize(png)).toMatchObject({ width: 424, height: 424 })
    const child = figma.rectangle('Child', { x: 10, y: 0, width: 20, height: 10 }, card)
    expect(child.absoluteBoundingBox!.x).toBeCloseTo(100 + 10 * side)
  })
})

function pixels(png: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(png))
}

function pixelAt(image: PNG, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4
  return [...image.data.subarray(i, i + 4)]
}

describe('the fake Figma’s slices', () => {
  function scene() {
    const figma = createFakeFigma()
    const hero = figma.frame('Hero', { x: 100, y: 50, width: 400, height: 300 }, undefined, [
      { type: 'SOLID', color: { r: 0.9, g: 0.9, b: 0.8 } }
    ])
    const button = figma.rectangle('Button', { x: 40, y: 60, width: 120, height: 40 }, hero)
    button.fills = [{ type: 'SOLID', color: { r: 0.1, g: 0.4, b: 0.9 } }]
    const side = figma.frame('Side', { x: 520, y: 50, width: 100, height: 100 }, undefined, [
      { type: 'SOLID', color: { r: 1, g: 0, b: 0 } }
    ])
    return { figma, hero, button, side }
  }

  it('creates a slice on the current page, records it, and removes it like any node', async () => {
    const { figma } = scene()
    const other = figma.addPage('Page 2')
    await figma.setCurrentPageAsync(other)
    const slice = figma.createSlice()
    expect(slice.type).toBe('SLICE')
    expect(slice.parent).toBe(other)
    expect(other.children).toEqual([slice])
    expect(figma.slices).toEqual([slice])
    slice.remove()
    expect(slice.removed).toBe(true)
    expect(other.children).toEqual([])
    expect(figma.slices).toEqual([slice])
    await expect(slice.exportAsync({ format: 'PNG' })).rejects.toThrow(/deleted/)
  })

  it('exports what lies under it: the same pixels as the frame’s own export at the same scale', async () => {
    const { figma, hero } = scene()
    const frame = pixels(await hero.exportAsync({ format: 'PNG', useAbsoluteBounds: true, constraint: { type: 'SCALE', value: 2 } }))
    expect([frame.width, frame.height]).toEqual([800, 600])
    const slice = figma.createSlice()
    slice.x = hero.x + 30
    slice.y = hero.y + 50
    slice.resize(160, 70)
    const part = pixels(await slice.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: 2 } }))
    expect([part.width, part.height]).toEqual([320, 140])
    let differing = 0
    for (let y = 0; y < part.height; y += 1)
      for (let x = 0; x < part.width; x += 1) if (pixelAt(part, x, y).join() !== pixelAt(frame, x + 60, y + 100).join()) differing += 1
    expect(differing).toBe(0)
    // Shifted by one design pixel, it does not match: the picture depends on the page position.
    expect(pixelAt(part, 100, 70)).not.toEqual(pixelAt(frame, 100 + 62, 70 + 100))
  })

  it('renders every visible layer of the page under it, whichever frame holds it, and no slice', async () => {
    const { figma, side } = scene()
    const slice = figma.createSlice()
    slice.x = 480
    slice.y = 60
    slice.resize(80, 20)
    const image = pixels(await slice.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: 1 } }))
    // Hero's colour (0.9, 0.9, 0.8) at three quarters, with the page point's pattern (x, y modulo 64) over it.
    expect(pixelAt(image, 10, 10)).toEqual([
      Math.round(0.9 * 191 + (490 & 63)),
      Math.round(0.9 * 191 + (70 & 63)),
      Math.round(0.8 * 191 + (560 & 63)),
      255
    ])
    // The gap between the frames is transparent; the red frame shows past it.
    expect(pixelAt(image, 30, 10)[3]).toBe(0)
    expect(pixelAt(image, 60, 10)).toEqual([191 + (540 & 63), 70 & 63, (540 + 70) & 63, 255])
    side.visible = false
    expect(pixelAt(pixels(await slice.exportAsync({ format: 'PNG' })), 60, 10)[3]).toBe(0)
  })

  it('fails a slice’s export on request, as Figma may', async () => {
    const { figma } = scene()
    figma.sliceExportsFail = true
    await expect(figma.createSlice().exportAsync({ format: 'PNG' })).rejects.toThrow()
  })

  it('cuts children to a frame that clips its content, and not to a group or a frame that does not', async () => {
    const figma = createFakeFigma()
    const clipping = figma.frame('Clip', { x: 0, y: 0, width: 100, height: 100 })
    figma.rectangle('Over', { x: 80, y: 0, width: 60, height: 20 }, clipping)
    const slice = figma.createSlice()
    slice.x = 100
    slice.resize(40, 20)
    expect(pixelAt(pixels(await slice.exportAsync({ format: 'PNG' })), 10, 10)[3]).toBe(0)
    clipping.clipsContent = false
    expect(pixelAt(pixels(await slice.exportAsync({ format: 'PNG' })), 10, 10)[3]).toBe(255)
    const group = figma.container('GROUP', 'Group', { x: 0, y: 200, width: 50, height: 50 })
    expect(group.clipsContent).toBeUndefined()
    expect(group.fills).toEqual([])
    expect(figma.container('SECTION', 'Section', { x: 0, y: 300, width: 50, height: 50 }).type).toBe('SECTION')
  })
})
