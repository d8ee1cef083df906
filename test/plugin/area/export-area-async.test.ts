import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { AREA_SLICE_NAME, exportAreaAsync } from '../../../plugin/area/export-area-async'
import { AreaGeometry } from '../../../shared/area/area-geometry'
import { KONTEXT_SIZES } from '../../../shared/aspect-ratios'
import { AppError } from '../../../shared/errors'
import { Reference } from '../../../shared/messages'
import { createFakeFigma, type FakeFigma, type FakeFrame } from '../../fakes/fake-figma'

const OUTPUT_SIZES = KONTEXT_SIZES.map(({ width, height }) => ({ width, height }))

function landing() {
  const figma = createFakeFigma()
  const frame = figma.frame('Hero', { x: 200, y: 100, width: 1440, height: 900 }, undefined, [
    { type: 'SOLID', color: { r: 0.95, g: 0.92, b: 0.85 } }
  ])
  const card = figma.frame('Card', { x: 600, y: 300, width: 400, height: 300 }, frame, [
    { type: 'SOLID', color: { r: 0.2, g: 0.3, b: 0.5 } }
  ])
  const button = figma.rectangle('Button', { x: 100, y: 200, width: 200, height: 60 }, card)
  button.fills = [{ type: 'SOLID', color: { r: 0.9, g: 0.2, b: 0.1 } }]
  return { figma, frame, card, button }
}

async function failureAsync(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

function decode(png: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(png))
}

function pixelAt(image: PNG, x: number, y: number): number[] {
  const i = (Math.floor(y) * image.width + Math.floor(x)) * 4
  return [...image.data.subarray(i, i + 4)]
}

function nodeCount(figma: FakeFigma): number {
  return figma.currentPage.findAll().length
}

describe('exporting an area of a frame', () => {
  it('exports the crop at about one megapixel and the whole frame at 2×', async () => {
    const { figma, frame, button } = landing()
    const exported = await exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: OUTPUT_SIZES })
    const geometry = AreaGeometry.parse(exported.geometry)
    expect(geometry.area).toEqual({ x: 700, y: 500, width: 200, height: 60 })
    expect([geometry.containerWidth, geometry.containerHeight, geometry.frameScale]).toEqual([1440, 900, 2])
    expect(exported.frame).toMatchObject({ pixelWidth: 2880, pixelHeight: 1800 })
    expect(decode(exported.frame.png)).toMatchObject({ width: 2880, height: 1800 })

    const reference = Reference.parse(exported.reference)
    expect(reference).toMatchObject({ sourceId: frame.id, name: 'Hero', width: geometry.crop.width, height: geometry.crop.height })
    const megapixels = (reference.pixelWidth * reference.pixelHeight) / 1_000_000
    expect(megapixels).toBeGreaterThan(0.9)
    expect(megapixels).toBeLessThan(1.05)
    expect(reference.pixelWidth / geometry.crop.width).toBeCloseTo(geometry.cropScale, 2)
    expect(exported.notes).toEqual([])
  })

  it('for a model with free sizes: the crop keeps its own shape, exported at the model’s reference size', async () => {
    const { figma, frame, button } = landing()
    const reference = { pixels: 4_000_000, maxLongSide: 4096, totalPixels: 9_000_000 }
    const exported = await exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: [], reference })
    const geometry = AreaGeometry.parse(exported.geometry)
    // The button and its context, no ratio to grow to: 96 px on every side.
    expect([geometry.crop.width, geometry.crop.height]).toEqual([392, 252])
    // About a megapixel (more would be paid for and scaled away into the 2× render), not Kontext's ratio.
    expect(exported.reference.pixelWidth * exported.reference.pixelHeight).toBeGreaterThan(950_000)
    expect(exported.reference.pixelWidth / exported.reference.pixelHeight).toBeCloseTo(392 / 252, 1)
  })

  it('cuts the crop from the frame’s own picture: the same page points show the same colours', async () => {
    const { figma, frame, button } = landing()
    const {
      reference,
      frame: render,
      geometry
    } = await exportAreaAsync(figma, {
      containerId: frame.id,
      nodeIds: [button.id],
      outputSizes: OUTPUT_SIZES
    })
    const [crop, whole] = [decode(reference.png), decode(render.png)]
    const scaleX = reference.pixelWidth / geometry.crop.width
    const scaleY = reference.pixelHeight / geometry.crop.height
    // Inside the button, at its middle, and on the frame's background beside the card.
    for (const [x, y] of [
      [800.5, 530.5],
      [geometry.crop.x + 10.5, geometry.crop.y + 10.5],
      [geometry.crop.x + geometry.crop.width - 5.5, geometry.crop.y + geometry.crop.height - 5.5]
    ] as const) {
      const inCrop = pixelAt(crop, (x - geometry.crop.x) * scaleX, (y - geometry.crop.y) * scaleY)
      expect(inCrop).toEqual(pixelAt(whole, x * 2, y * 2))
    }
    expect(pixelAt(crop, (800.5 - geometry.crop.x) * scaleX, (530.5 - geometry.crop.y) * scaleY)).not.toEqual(pixelAt(whole, 10, 10))
  })

  it('exports the crop through one temporary slice, removed afterwards, with nothing else changed', async () => {
    const { figma, frame, button } = landing()
    const before = figma.snapshot()
    const nodesBefore = nodeCount(figma)
    const commits = figma.undoCommits
    const { geometry } = await exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: OUTPUT_SIZES })
    expect(figma.slices).toHaveLength(1)
    const [slice] = figma.slices
    expect(slice!.removed).toBe(true)
    expect(slice!.name).toBe(AREA_SLICE_NAME)
    expect({ x: slice!.x, y: slice!.y, width: slice!.width, height: slice!.height }).toEqual({
      x: 200 + geometry.crop.x,
      y: 100 + geometry.crop.y,
      width: geometry.crop.width,
      height: geometry.crop.height
    })
    expect(slice!.exports).toEqual([{ format: 'PNG', colorProfile: 'SRGB', constraint: { type: 'SCALE', value: geometry.cropScale } }])
    expect(frame.exports).toEqual([
      { format: 'PNG', colorProfile: 'SRGB', useAbsoluteBounds: true, constraint: { type: 'SCALE', value: 2 } }
    ])
    expect(figma.snapshot()).toEqual(before)
    expect(nodeCount(figma)).toBe(nodesBefore)
    // Created and removed in one step: nothing to commit to the undo history.
    expect(figma.undoCommits).toBe(commits)
  })

  it('removes the slice when its export fails, and says so plainly', async () => {
    const { figma, frame, button } = landing()
    const before = figma.snapshot()
    figma.sliceExportsFail = true
    const error = await failureAsync(exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: OUTPUT_SIZES }))
    expect(error.code).toBe('export_failed')
    expect(error.message).toBe('Figma could not export the area as an image. Try again, or edit the whole frame.')
    expect(error.cause).toBeInstanceOf(Error)
    expect(figma.slices.map((slice) => slice.removed)).toEqual([true])
    expect(figma.snapshot()).toEqual(before)
  })

  it('fails plainly when the slice is removed while it exports (an undo), without touching the removed slice again', async () => {
    const { figma, frame, button } = landing()
    const before = figma.snapshot()
    figma.slicesRemovedDuringExport = true
    const error = await failureAsync(exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: OUTPUT_SIZES }))
    // Had the slice been removed a second time, Figma's own "deleted" error would have replaced this one.
    expect(error.toInfo()).toEqual({
      code: 'export_failed',
      message: 'Figma could not export the area as an image. Try again, or edit the whole frame.'
    })
    expect(error.detail).toBe('exportAsync failed')
    expect((error.cause as Error).message).toBe('The node with id has been deleted')
    expect(figma.slices.map((slice) => slice.removed)).toEqual([true])
    expect(figma.snapshot()).toEqual(before)
  })

  it('says which frame could not be exported when the frame’s own export fails', async () => {
    const { figma, frame, button } = landing()
    frame.exportFails = true
    const error = await failureAsync(exportAreaAsync(figma, { containerId: frame.id, nodeIds: [button.id], outputSizes: OUTPUT_SIZES }))
    expect(error.toInfo()).toEqual({
      code: 'export_failed',
      message: 'Figma could not export “Hero” as an image. Try again, or edit the whole frame.'
    })
    expect(figma.slices.every((slice) => slice.removed)).toBe(true)
  })

  it('renders a very large container below 1×, within 4096 px, and says so', async () => {
    const figma = createFakeFigma()
    const poster = figma.frame('Poster', { x: 0, y: 0, width: 6000, height: 3000 })
    const logo = figma.rectangle('Logo', { x: 2900, y: 1400, width: 300, height: 200 }, poster)
    const exported = await exportAreaAsync(figma, { containerId: poster.id, nodeIds: [logo.id], outputSizes: OUTPUT_SIZES })
    expect(exported.geometry.frameScale).toBeLessThan(1)
    expect(Math.max(exported.frame.pixelWidth, exported.frame.pixelHeight)).toBeLessThanOrEqual(4096)
    expect(exported.frame.pixelWidth).toBe(Math.round(6000 * exported.geometry.frameScale))
    expect(exported.notes).toHaveLength(1)
    expect(exported.notes[0]).toContain('“Poster”')
  })

  it('lines the crop up with a rotated container’s exported box', async () => {
    const figma = createFakeFigma()
    const tilted = figma.frame('Tilted', { x: 500, y: 500, width: 800, height: 400 })
    tilted.rotation = 30
    const sticker = figma.rectangle('Sticker', { x: 300, y: 150, width: 120, height: 80 }, tilted)
    const box = tilted.absoluteBoundingBox!
    const exported = await exportAreaAsync(figma, { containerId: tilted.id, nodeIds: [sticker.id], outputSizes: OUTPUT_SIZES })
    expect(exported.geometry.containerWidth).toBeCloseTo(box.width)
    expect(exported.frame.pixelWidth).toBe(Math.round(box.width * 2))
    const stickerBox = sticker.absoluteBoundingBox!
    expect(exported.geometry.area.x).toBeCloseTo(stickerBox.x - box.x)
    expect(exported.geometry.area.y).toBeCloseTo(stickerBox.y - box.y)
    const slice = figma.slices[0]!
    expect(slice.x).toBeCloseTo(box.x + exported.geometry.crop.x)
    expect(slice.y).toBeCloseTo(box.y + exported.geometry.crop.y)
  })

  it('exports a layer inside an auto-layout frame, and only what shows of a clipped layer', async () => {
    const { figma, frame, card } = landing()
    card.layoutMode = 'VERTICAL'
    const spill = figma.rectangle('Spill', { x: 300, y: 250, width: 300, height: 100 }, card)
    const exported = await exportAreaAsync(figma, { containerId: frame.id, nodeIds: [spill.id], outputSizes: OUTPUT_SIZES })
    // The card (600, 300, 400 × 300 in Hero) clips the layer to its lower right corner.
    expect(exported.geometry.area).toEqual({ x: 900, y: 550, width: 100, height: 50 })
  })

  it('uses the given area as it is (Edit again), without the layers', async () => {
    const { figma, frame } = landing()
    const rect = { x: 40, y: 60, width: 300, height: 120 }
    const exported = await exportAreaAsync(figma, { containerId: frame.id, nodeIds: ['0:gone'], rect, outputSizes: OUTPUT_SIZES })
    expect(exported.geometry.area).toEqual(rect)
  })

  it('fails plainly when the frame or a layer is gone, or the layers cannot make an area', async () => {
    const { figma, frame, button } = landing()
    const other = figma.frame('Other', { x: 3000, y: 0, width: 300, height: 300 })
    const elsewhere = figma.rectangle('Elsewhere', { x: 10, y: 10, width: 50, height: 50 }, other)
    const ask = (containerId: string, nodeIds: string[]) => exportAreaAsync(figma, { containerId, nodeIds, outputSizes: OUTPUT_SIZES })

    expect((await failureAsync(ask('0:gone', [button.id]))).toInfo()).toEqual({
      code: 'source_missing',
      message: 'The frame of the area is no longer in this file.'
    })
    expect((await failureAsync(ask(frame.id, [button.id, '0:gone']))).toInfo()).toEqual({
      code: 'source_missing',
      message: 'A layer of the area is no longer in this file.'
    })
    expect((await failureAsync(ask(frame.id, [button.id, elsewhere.id]))).toInfo()).toEqual({
      code: 'export_failed',
      message: 'The selected layers are in 2 frames: select layers in one frame'
    })
    expect((await failureAsync(ask(frame.id, [elsewhere.id]))).toInfo()).toEqual({
      code: 'export_failed',
      message: 'The selected layers are no longer inside “Hero”.'
    })
    expect((await failureAsync(ask(frame.id, [frame.id]))).code).toBe('export_failed')
    const speck = figma.rectangle('Speck', { x: 5, y: 5, width: 2, height: 2 }, frame)
    expect((await failureAsync(ask(frame.id, [speck.id]))).message).toMatch(/under \d+ px on a side/)
    button.visible = false
    expect((await failureAsync(ask(frame.id, [button.id]))).message).toMatch(/Nothing of the selection is visible/)
    expect(figma.slices).toEqual([])
  })

  it('goes to the container’s page first, so the slice lands beside it', async () => {
    const figma = createFakeFigma()
    const second = figma.addPage('Screens')
    const screen: FakeFrame = figma.frame('Screen', { x: 0, y: 0, width: 390, height: 844 }, second)
    const title = figma.text('Title', { x: 20, y: 100, width: 350, height: 40 }, 'Welcome back', screen)
    const exported = await exportAreaAsync(figma, { containerId: screen.id, nodeIds: [title.id], outputSizes: OUTPUT_SIZES })
    expect(figma.currentPage).toBe(second)
    expect(figma.slices[0]!.removed).toBe(true)
    expect(second.children).toEqual([screen])
    expect(exported.frame).toMatchObject({ pixelWidth: 780, pixelHeight: 1688 })
  })
})
