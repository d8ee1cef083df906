import { describe, expect, it } from 'vitest'
import { intersect, visibleBox } from '../../../plugin/area/visible-box'
import { createFakeFigma } from '../../fakes/fake-figma'

describe('what shows of a layer in its container', () => {
  it('intersects boxes, and boxes that only touch share nothing', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 }
    expect(intersect(a, { x: 5, y: 5, width: 10, height: 10 })).toEqual({ x: 5, y: 5, width: 5, height: 5 })
    expect(intersect(a, { x: 10, y: 0, width: 10, height: 10 })).toBeUndefined()
    expect(intersect(a, { x: 0, y: 10, width: 10, height: 10 })).toBeUndefined()
    expect(intersect(a, { x: 20, y: 20, width: 1, height: 1 })).toBeUndefined()
  })

  it('stops at the container: what holds it (a hidden section) does not hide what its export draws', () => {
    const figma = createFakeFigma()
    const section = figma.container('SECTION', 'Archive', { x: 0, y: 0, width: 3000, height: 2000 })
    const screen = figma.frame('Hero', { x: 100, y: 100, width: 1440, height: 900 }, section)
    const title = figma.rectangle('Title', { x: 10, y: 20, width: 300, height: 60 }, screen)
    section.visible = false
    expect(visibleBox(title, screen)).toEqual({ x: 110, y: 120, width: 300, height: 60 })
    // The container itself shows whole, whatever holds it.
    expect(visibleBox(screen, screen)).toEqual({ x: 100, y: 100, width: 1440, height: 900 })
  })

  it('reads a layer outside the container up to its page, and cuts it to the container', () => {
    const figma = createFakeFigma()
    const screen = figma.frame('Hero', { x: 0, y: 0, width: 400, height: 300 })
    const beside = figma.rectangle('Beside', { x: 350, y: 250, width: 100, height: 100 })
    expect(visibleBox(beside, screen)).toEqual({ x: 350, y: 250, width: 50, height: 50 })
  })
})
