import { describe, expect, it } from 'vitest'
import { findAreaOffer } from '../../../plugin/area/find-area-offer'
import { AreaOffer } from '../../../shared/area/area-geometry'
import { AREA_MIN_SIDE } from '../../../shared/area/area-limits'
import { createFakeFigma } from '../../fakes/fake-figma'

function hero() {
  const figma = createFakeFigma()
  const frame = figma.frame('Hero', { x: 1000, y: 500, width: 1440, height: 900 })
  return { figma, frame }
}

function offerOf(...args: Parameters<typeof findAreaOffer>): AreaOffer {
  const offer = findAreaOffer(...args)
  expect(offer).toBeDefined()
  // What the sandbox posts must pass the message schema the panel parses.
  return AreaOffer.parse(offer)
}

describe('the area the selected layers offer', () => {
  it('offers nothing for no selection, or for top-level layers, which are edited whole', () => {
    const { figma, frame } = hero()
    const other = figma.frame('Other', { x: 0, y: 0, width: 100, height: 100 })
    expect(findAreaOffer([])).toBeUndefined()
    expect(findAreaOffer([frame])).toBeUndefined()
    expect(findAreaOffer([frame, other])).toBeUndefined()
  })

  it('gives one layer’s box in its top-level frame’s coordinates, labelled by its name', () => {
    const { figma, frame } = hero()
    const card = figma.frame('Card', { x: 100, y: 200, width: 600, height: 400 }, frame)
    const photo = figma.rectangle('Photo', { x: 20, y: 30, width: 200, height: 150 }, card)
    expect(offerOf([photo])).toStrictEqual({
      containerId: frame.id,
      containerName: 'Hero',
      containerWidth: 1440,
      containerHeight: 900,
      nodeIds: [photo.id],
      label: '“Photo” in “Hero”',
      rect: { x: 120, y: 230, width: 200, height: 150 }
    })
  })

  it('calls a text layer by its words, shortened, and several layers by their count', () => {
    const { figma, frame } = hero()
    const title = figma.text('Title', { x: 10, y: 10, width: 300, height: 40 }, '  Spring\nSale  ', frame)
    const long = figma.text('Body', { x: 10, y: 60, width: 300, height: 40 }, 'Everything you need for a sunny weekend outdoors', frame)
    const blank = figma.text('Empty label', { x: 10, y: 110, width: 300, height: 40 }, '   ', frame)
    expect(offerOf([title]).label).toBe('“Spring Sale” in “Hero”')
    expect(offerOf([long]).label).toBe('“Everything you need for a…” in “Hero”')
    expect(offerOf([blank]).label).toBe('“Empty label” in “Hero”')
    const word = figma.text('Word', { x: 10, y: 160, width: 300, height: 40 }, 'Supercalifragilisticexpialidocious!', frame)
    expect(offerOf([word]).label).toBe('“Supercalifragilisticexpialido…” in “Hero”')
    const both = offerOf([long, title, blank])
    expect(both.label).toBe('3 layers in “Hero”')
    expect(both.nodeIds).toEqual([long.id, title.id, blank.id])
    expect(both.rect).toEqual({ x: 10, y: 10, width: 300, height: 140 })
  })

  it('unites what shows of several layers', () => {
    const { figma, frame } = hero()
    const a = figma.rectangle('A', { x: 100, y: 100, width: 50, height: 50 }, frame)
    const b = figma.rectangle('B', { x: 300, y: 20, width: 20, height: 200 }, frame)
    expect(offerOf([a, b]).rect).toEqual({ x: 100, y: 20, width: 220, height: 200 })
  })

  it('counts hidden layers, and layers inside hidden ones, as nothing', () => {
    const { figma, frame } = hero()
    const shown = figma.rectangle('Shown', { x: 100, y: 100, width: 50, height: 50 }, frame)
    const hidden = figma.rectangle('Hidden', { x: 600, y: 600, width: 50, height: 50 }, frame)
    hidden.visible = false
    const folded = figma.frame('Folded', { x: 700, y: 0, width: 300, height: 300 }, frame)
    const inFolded = figma.rectangle('Inside', { x: 0, y: 0, width: 100, height: 100 }, folded)
    folded.visible = false
    expect(offerOf([shown, hidden, inFolded]).rect).toEqual({ x: 100, y: 100, width: 50, height: 50 })
    const none = offerOf([hidden, inFolded])
    expect(none.problem).toBe('Nothing of the selection is visible in “Hero”: show the layers, or select visible ones')
    expect(none.rect).toEqual({ x: 0, y: 0, width: 1440, height: 900 })
    frame.visible = false
    expect(offerOf([shown]).problem).toMatch(/Nothing of the selection is visible/)
  })

  it('cuts a layer to every ancestor frame that clips, and always to the container', () => {
    const { figma, frame } = hero()
    const strip = figma.frame('Strip', { x: 100, y: 100, width: 200, height: 100 }, frame)
    const wide = figma.rectangle('Wide', { x: -50, y: 20, width: 400, height: 40 }, strip)
    expect(offerOf([wide]).rect).toEqual({ x: 100, y: 120, width: 200, height: 40 })
    strip.clipsContent = false
    expect(offerOf([wide]).rect).toEqual({ x: 50, y: 120, width: 400, height: 40 })
    // Past the container's edge: cut to it even when the container does not clip.
    frame.clipsContent = false
    const overhang = figma.rectangle('Overhang', { x: 1400, y: 800, width: 200, height: 200 }, frame)
    expect(offerOf([overhang]).rect).toEqual({ x: 1400, y: 800, width: 40, height: 100 })
    const outside = figma.rectangle('Outside', { x: 1500, y: 0, width: 50, height: 50 }, frame)
    expect(offerOf([outside]).problem).toMatch(/Nothing of the selection is visible/)
    const clippedAway = figma.rectangle('Clipped away', { x: 500, y: 0, width: 50, height: 50 }, strip)
    strip.clipsContent = true
    expect(offerOf([clippedAway]).problem).toMatch(/Nothing of the selection is visible/)
  })

  it('reads everything from axis-aligned page boxes: a rotated container and a rotated layer', () => {
    const { figma, frame } = hero()
    const badge = figma.rectangle('Badge', { x: 400, y: 300, width: 100, height: 100 }, frame)
    badge.rotation = 45
    const side = 100 * Math.SQRT2
    const rect = offerOf([badge]).rect
    expect(rect.x).toBeCloseTo(400)
    expect(rect.y).toBeCloseTo(300 - side / 2)
    expect(rect.width).toBeCloseTo(side)
    expect(rect.height).toBeCloseTo(side)

    const tilted = figma.frame('Tilted', { x: 0, y: 3000, width: 400, height: 200 })
    tilted.rotation = 90
    const label = figma.rectangle('Label', { x: 10, y: 20, width: 100, height: 30 }, tilted)
    const offer = offerOf([label])
    const box = tilted.absoluteBoundingBox!
    expect([offer.containerWidth, offer.containerHeight]).toEqual([box.width, box.height])
    const labelBox = label.absoluteBoundingBox!
    expect(offer.rect).toEqual({ x: labelBox.x - box.x, y: labelBox.y - box.y, width: labelBox.width, height: labelBox.height })
    expect(offer.rect.width).toBeCloseTo(30)
    expect(offer.rect.height).toBeCloseTo(100)
  })

  it('places a layer inside an auto-layout frame where Figma laid it out', () => {
    const { figma, frame } = hero()
    const row = figma.frame('Row', { x: 200, y: 600, width: 600, height: 80 }, frame)
    row.layoutMode = 'HORIZONTAL'
    figma.rectangle('First', { x: 16, y: 16, width: 100, height: 48 }, row)
    const second = figma.rectangle('Second', { x: 132, y: 16, width: 100, height: 48 }, row)
    expect(offerOf([second]).rect).toEqual({ x: 332, y: 616, width: 100, height: 48 })
  })

  it('takes the frame inside a section as the container, not the section', () => {
    const figma = createFakeFigma()
    const section = figma.container('SECTION', 'Screens', { x: 0, y: 0, width: 3000, height: 2000 })
    const screen = figma.frame('Hero', { x: 100, y: 100, width: 1440, height: 900 }, section)
    const inner = figma.rectangle('Inner', { x: 10, y: 10, width: 50, height: 50 }, screen)
    expect(offerOf([inner])).toMatchObject({ containerId: screen.id, rect: { x: 10, y: 10, width: 50, height: 50 } })
    // The frame itself, or a layer lying in the section outside any frame, is top-level: no area.
    expect(findAreaOffer([screen])).toBeUndefined()
    expect(findAreaOffer([figma.rectangle('Loose', { x: 2000, y: 10, width: 50, height: 50 }, section)])).toBeUndefined()
  })

  it('takes components, instances and top-level groups as containers', () => {
    const figma = createFakeFigma()
    for (const type of ['COMPONENT', 'COMPONENT_SET', 'INSTANCE', 'GROUP'] as const) {
      const container = figma.container(type, type, { x: 0, y: 0, width: 500, height: 500 })
      const inner = figma.rectangle('Inner', { x: 10, y: 10, width: 50, height: 50 }, container)
      expect(offerOf([inner])).toMatchObject({ containerId: container.id, rect: { x: 10, y: 10, width: 50, height: 50 } })
    }
  })

  it('says so when the layers sit in several frames', () => {
    const { figma, frame } = hero()
    const other = figma.frame('Other', { x: 0, y: 0, width: 300, height: 300 })
    const a = figma.rectangle('A', { x: 10, y: 10, width: 50, height: 50 }, frame)
    const b = figma.rectangle('B', { x: 10, y: 10, width: 50, height: 50 }, other)
    const offer = offerOf([a, b])
    expect(offer.problem).toBe('The selected layers are in 2 frames: select layers in one frame')
    expect(offer.containerId).toBe(frame.id)
    // A frame selected with a layer of another frame is also two frames.
    expect(offerOf([other, a]).problem).toBe('The selected layers are in 2 frames: select layers in one frame')
  })

  it('refuses an area under the minimum side, and lets one at the minimum through', () => {
    const { figma, frame } = hero()
    const line = figma.rectangle('Line', { x: 10, y: 10, width: 300, height: AREA_MIN_SIDE - 0.5 }, frame)
    expect(offerOf([line]).problem).toBe(
      `The selected area is under ${AREA_MIN_SIDE} px on a side: select a larger layer, or edit the whole frame`
    )
    expect(offerOf([line]).rect).toEqual({ x: 10, y: 10, width: 300, height: AREA_MIN_SIDE - 0.5 })
    const dot = figma.rectangle('Dot', { x: 10, y: 10, width: AREA_MIN_SIDE, height: AREA_MIN_SIDE }, frame)
    expect(offerOf([dot]).problem).toBeUndefined()
  })

  it('notes that the whole frame is the better choice from 90 % of it on', () => {
    const { figma, frame } = hero()
    const nearly = figma.rectangle('Backdrop', { x: 0, y: 0, width: 1440, height: 810 }, frame)
    expect(offerOf([nearly]).wholeFrameNote).toBe('The selection covers almost all of “Hero”: the whole frame will be edited')
    expect(offerOf([nearly]).problem).toBeUndefined()
    nearly.resize(1440, 809)
    expect(offerOf([nearly]).wholeFrameNote).toBeUndefined()
  })
})
