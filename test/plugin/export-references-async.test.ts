import { describe, expect, it } from 'vitest'
import { offerOf } from '../../shared/models'
import { KONTEXT_REFERENCE, referenceTargetOf } from '../../shared/reference-target'
import { exportReferencesAsync } from '../../plugin/export/export-references-async'
import { exportProblem } from '../../plugin/export/export-problem'
import { AppError } from '../../shared/errors'
import { createFakeFigma, type FakeSceneNode } from '../fakes/fake-figma'

async function failureAsync(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

function frames(count: number): FakeSceneNode[] {
  const figma = createFakeFigma()
  return Array.from({ length: count }, (_, index) => figma.frame(`Frame ${index + 1}`, { x: index * 200, y: 0, width: 100, height: 50 }))
}

describe('exporting the selection as references', () => {
  it('refuses an empty selection', async () => {
    expect((await failureAsync(exportReferencesAsync([], KONTEXT_REFERENCE))).code).toBe('nothing_selected')
  })

  it('takes up to eight layers (FLUX.2 on BFL) and refuses a ninth', async () => {
    expect(await exportReferencesAsync(frames(8), KONTEXT_REFERENCE)).toHaveLength(8)
    const error = await failureAsync(exportReferencesAsync(frames(9), KONTEXT_REFERENCE))
    expect(error.toInfo()).toStrictEqual({ code: 'export_failed', message: 'Select at most 8 layers; 9 are selected.' })
  })

  it('describes each exported layer: its id, name, size on canvas and PNG size', async () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Hero', { x: 0, y: 0, width: 100.2, height: 50.2 })
    const [reference] = await exportReferencesAsync([frame], KONTEXT_REFERENCE)
    expect(reference).toMatchObject({ sourceId: frame.id, name: 'Hero', width: 100.2, height: 50.2, pixelWidth: 200, pixelHeight: 100 })
    expect(reference!.png.subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'))
    expect(frame.exports[0]).toMatchObject({ format: 'PNG', constraint: { type: 'WIDTH', value: 200 } })
  })

  it('exports for FLUX.2 at up to 4 MP each, several references sharing the model’s 9 MP', async () => {
    const figma = createFakeFigma()
    const heroes = [0, 1, 2].map((index) => figma.frame(`Hero ${index}`, { x: index * 2000, y: 0, width: 1440, height: 900 }))
    const flux2 = referenceTargetOf(offerOf('bfl', 'flux2-pro')!)
    const [alone] = await exportReferencesAsync([heroes[0]!], flux2)
    expect(alone!.pixelWidth * alone!.pixelHeight).toBeGreaterThan(3_900_000)
    const three = await exportReferencesAsync(heroes, flux2)
    const total = three.reduce((sum, reference) => sum + reference.pixelWidth * reference.pixelHeight, 0)
    expect(total).toBeLessThanOrEqual(9_000_000)
    expect(total).toBeGreaterThan(8_900_000)
  })

  it('sizes a rotated layer’s export from the box it renders as', async () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Tilted', { x: 0, y: 0, width: 200, height: 100 })
    frame.rotation = 90
    const [reference] = await exportReferencesAsync([frame], KONTEXT_REFERENCE)
    expect(frame.exports[0]!.constraint).toEqual({ type: 'HEIGHT', value: 400 })
    expect(reference).toMatchObject({ width: 200, height: 100, pixelWidth: 200, pixelHeight: 400 })
  })

  it('names the layer that cannot be exported, and why', async () => {
    const figma = createFakeFigma()
    const hidden = figma.frame('Ghost', { x: 0, y: 0, width: 100, height: 100 })
    hidden.visible = false
    const error = await failureAsync(exportReferencesAsync([hidden], KONTEXT_REFERENCE))
    expect(error.toInfo()).toStrictEqual({ code: 'export_failed', message: '“Ghost”: This layer is hidden. Show it to edit it.' })
  })

  it('wraps Figma’s own export failure, keeping it as the cause', async () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Broken', { x: 0, y: 0, width: 100, height: 100 })
    frame.exportFails = true
    const error = await failureAsync(exportReferencesAsync([frame], KONTEXT_REFERENCE))
    expect(error.code).toBe('export_failed')
    expect(error.message).toBe('Figma could not export “Broken” as an image. Try selecting the frame that contains it.')
    expect(error.detail).toBe('exportAsync failed')
    expect((error.cause as Error).message).toBe('Failed to export node')
  })

  it('refuses an export that is not a PNG', async () => {
    const figma = createFakeFigma()
    const frame = figma.frame('Blank', { x: 0, y: 0, width: 100, height: 100 })
    frame.exportAsync = async () => new Uint8Array(8)
    const error = await failureAsync(exportReferencesAsync([frame], KONTEXT_REFERENCE))
    expect(error.toInfo()).toStrictEqual({ code: 'export_failed', message: 'Figma returned no image for “Blank”.' })
  })
})

describe('why a layer cannot be a reference', () => {
  const layer = (box: { width: number; height: number }, visible = true) => {
    const node = createFakeFigma().frame('Layer', { x: 0, y: 0, ...box })
    node.visible = visible
    return node
  }

  it('is nothing for a visible layer of at least a pixel a side', () => {
    expect(exportProblem(layer({ width: 1, height: 1 }))).toBeUndefined()
  })

  it('is its size under a pixel on either side', () => {
    expect(exportProblem(layer({ width: 0.99, height: 10 }))).toBe('This layer has no visible size.')
    expect(exportProblem(layer({ width: 10, height: 0.99 }))).toBe('This layer has no visible size.')
  })

  it('is being hidden, whatever its size', () => {
    expect(exportProblem(layer({ width: 10, height: 10 }, false))).toBe('This layer is hidden. Show it to edit it.')
    expect(exportProblem(layer({ width: 0.5, height: 0.5 }, false))).toBe('This layer is hidden. Show it to edit it.')
  })
})
