import { describe, expect, it } from 'vitest'
import { placeResultsAsync, RELAUNCH_DATA, RESULT_GAP } from '../../plugin/place/place-results-async'
import { AppError } from '../../shared/errors'
import type { ResultImage } from '../../shared/messages'
import { PROVENANCE_KEY, type Provenance } from '../../shared/provenance'
import { createFakeFigma, type FakeRectangle } from '../fakes/fake-figma'
import { makePng } from '../fakes/make-image'

function image(variant: number, seed: number | undefined, size = { width: 200, height: 100 }): ResultImage {
  const provenance: Provenance = {
    version: 1,
    prompt: 'make it blue',
    provider: 'runware',
    model: 'kontext-max',
    ...(seed === undefined ? {} : { seed }),
    options: { aspectRatio: 'auto', numImages: 2, outputFormat: 'png' },
    sourceId: '1:1',
    sourceName: 'Card',
    relayJobId: 'job-1',
    variant,
    resultWidth: size.width,
    resultHeight: size.height,
    createdAt: new Date(0).toISOString()
  }
  return { bytes: makePng(2, 1, variant), contentType: 'image/png', ...size, provenance }
}

async function failureAsync(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

const boxOf = (node: FakeRectangle) => ({ x: node.x, y: node.y, width: node.width, height: node.height })

describe('placing results on the canvas', () => {
  it('puts each variant to the right of the source, one gap apart, named and tagged, as one undo step', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 10, y: 20, width: 100, height: 50 })
    const commitsBefore = figma.undoCommits
    const placed = await placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 5), image(2, undefined)] })
    expect(placed.besideSource).toBe(true)
    const rects = placed.nodeIds.map((id) => figma.currentPage.children.find((child) => child.id === id) as FakeRectangle)
    expect(RESULT_GAP).toBe(40)
    // The source's box, not the image's size: the result stands in for the frame.
    expect(rects.map(boxOf)).toEqual([
      { x: 150, y: 20, width: 100, height: 50 },
      { x: 290, y: 20, width: 100, height: 50 }
    ])
    expect(rects.map((rect) => rect.name)).toEqual(['Card · Kontext edit 1 · seed 5', 'Card · Kontext edit 2'])
    expect(rects[0]!.fills).toEqual([{ type: 'IMAGE', imageHash: expect.stringMatching(/^[0-9a-f]{40}$/), scaleMode: 'FILL' }])
    expect(JSON.parse(rects[1]!.getPluginData(PROVENANCE_KEY))).toMatchObject({ variant: 2, sourceName: 'Card' })
    expect(rects[0]!.getRelaunchData()).toEqual(RELAUNCH_DATA)
    expect(figma.currentPage.selection).toEqual(rects)
    expect(figma.scrolledTo.at(-1)).toEqual(rects)
    expect(figma.undoCommits).toBe(commitsBefore + 1)
    figma.undo()
    expect(figma.currentPage.children).toEqual([card])
  })

  it('places beside a source that sticks out of its parent frame, which is no obstacle for it', async () => {
    const figma = createFakeFigma()
    const parent = figma.frame('Parent', { x: 0, y: 0, width: 100, height: 100 })
    // Frames do not grow with their children: this one's box stays 100 × 100.
    const card = figma.frame('Card', { x: 300, y: 0, width: 100, height: 100 }, parent)
    const { nodeIds } = await placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1)] })
    expect(figma.currentPage.children.find((child) => child.id === nodeIds[0])).toMatchObject({ x: 440, y: 0 })
  })

  it('names a single result without a variant number', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    const { nodeIds } = await placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 5)] })
    expect(figma.currentPage.children.find((child) => child.id === nodeIds[0])!.name).toBe('Card · Kontext edit')
  })

  it('steps past what already sits to the right of the source', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    figma.frame('Neighbour', { x: 150, y: 0, width: 100, height: 100 })
    figma.frame('Far away', { x: 2000, y: 0, width: 100, height: 100 })
    const { nodeIds } = await placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1)] })
    expect(figma.currentPage.children.find((child) => child.id === nodeIds[0])).toMatchObject({ x: 290, y: 0 })
  })

  it('places in the middle of the view, at the image’s size, when the source is gone', async () => {
    const figma = createFakeFigma()
    const placed = await placeResultsAsync(figma, { sourceId: 'missing', images: [image(1, 1, { width: 201, height: 101 })] })
    expect(placed.besideSource).toBe(false)
    const rect = figma.currentPage.children.find((child) => child.id === placed.nodeIds[0]) as FakeRectangle
    // The view's centre is (600, 400); half of 201 × 101 rounds to a whole pixel.
    expect(boxOf(rect)).toEqual({ x: 500, y: 350, width: 201, height: 101 })
  })

  it('treats a deleted source as gone', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    card.remove()
    expect((await placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1)] })).besideSource).toBe(false)
  })

  it('takes a result of 4096 px a side and refuses one pixel more, before touching the canvas', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    await expect(
      placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1, { width: 4096, height: 4096 })] })
    ).resolves.toMatchObject({
      besideSource: true
    })
    const before = figma.currentPage.children.length
    for (const size of [
      { width: 4097, height: 10 },
      { width: 10, height: 4097 }
    ]) {
      const error = await failureAsync(placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1), image(2, 2, size)] }))
      expect(error.toInfo()).toStrictEqual({
        code: 'place_failed',
        message: `The result is ${size.width}×${size.height}; Figma takes at most 4096 px a side.`
      })
    }
    expect(figma.currentPage.children).toHaveLength(before)
  })

  it('wraps Figma’s refusal of an image, keeping it as the cause', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    const corrupt = { ...image(1, 1), bytes: new Uint8Array([1, 2, 3]) }
    const error = await failureAsync(placeResultsAsync(figma, { sourceId: card.id, images: [corrupt] }))
    expect(error.code).toBe('place_failed')
    expect(error.detail).toBe('figma.createImage refused a result')
    expect(error.cause).toBeInstanceOf(Error)
    expect(figma.currentPage.children).toEqual([card])
  })

  it('places nothing when canceled before it starts', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    const error = await failureAsync(placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1)] }, () => true))
    expect(error.toInfo()).toStrictEqual({
      code: 'canceled',
      message: 'Canceled before the result was placed. Your result is kept: you can still place it.'
    })
    expect(figma.currentPage.children).toEqual([card])
    await expect(placeResultsAsync(figma, { sourceId: card.id, images: [image(1, 1)] }, () => false)).resolves.toBeDefined()
  })
})
