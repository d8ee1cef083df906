import { imageSize } from 'image-size'
import { readFileSync } from 'node:fs'
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
