import { describe, expect, it } from 'vitest'
import { selectNodesAsync } from '../../plugin/selection/select-nodes-async'
import { createFakeFigma } from '../fakes/fake-figma'

describe('selecting layers by id', () => {
  it('selects those still there on the current page and scrolls to them', async () => {
    const figma = createFakeFigma()
    const a = figma.frame('A', { x: 0, y: 0, width: 10, height: 10 })
    const b = figma.frame('B', { x: 20, y: 0, width: 10, height: 10 })
    const gone = figma.frame('Gone', { x: 40, y: 0, width: 10, height: 10 })
    gone.remove()
    expect(await selectNodesAsync(figma, [gone.id, a.id, 'no-such-id', b.id])).toBe(2)
    expect(figma.currentPage.selection).toEqual([a, b])
    expect(figma.scrolledTo.at(-1)).toEqual([a, b])
  })

  it('selects nothing and stays put when none is left', async () => {
    const figma = createFakeFigma()
    const kept = figma.frame('Kept', { x: 0, y: 0, width: 10, height: 10 })
    figma.select([kept])
    const page = figma.currentPage
    expect(await selectNodesAsync(figma, ['no-such-id', page.id])).toBe(0)
    expect(figma.currentPage).toBe(page)
    expect(page.selection).toEqual([kept])
    expect(figma.scrolledTo).toEqual([])
  })

  it('looks past a layer outside any page for the page to go to', async () => {
    const figma = createFakeFigma()
    const here = figma.frame('Here', { x: 0, y: 0, width: 10, height: 10 })
    const orphan = figma.frame('Orphan', { x: 0, y: 0, width: 10, height: 10 })
    // Not removed, yet in no page: the port must not take its missing page for the answer.
    const loose = Object.create(orphan, { parent: { value: null }, removed: { value: false } }) as typeof orphan
    const port = Object.create(figma, {
      getNodeByIdAsync: { value: async (id: string) => (id === 'loose' ? loose : figma.getNodeByIdAsync(id)) }
    }) as typeof figma
    expect(await selectNodesAsync(port, ['loose', here.id])).toBe(1)
    expect(figma.currentPage.selection).toEqual([here])
  })

  it('goes to the first layer’s page and selects only that page’s layers', async () => {
    const figma = createFakeFigma()
    const here = figma.frame('Here', { x: 0, y: 0, width: 10, height: 10 })
    const other = figma.addPage('Page 2')
    const there = figma.frame('There', { x: 0, y: 0, width: 10, height: 10 }, other)
    const alsoThere = figma.frame('Also there', { x: 20, y: 0, width: 10, height: 10 }, other)
    expect(await selectNodesAsync(figma, [there.id, here.id, alsoThere.id])).toBe(2)
    expect(figma.currentPage).toBe(other)
    expect(other.selection).toEqual([there, alsoThere])
  })
})
