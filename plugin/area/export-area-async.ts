import type { AreaGeometry, AreaRect } from '../../shared/area/area-geometry'
import { planAreaGeometry } from '../../shared/area/plan-area-geometry'
import { AppError } from '../../shared/errors'
import type { Reference } from '../../shared/messages'
import { readPngSize } from '../../shared/read-png-size'
import type { ReferenceTarget } from '../../shared/reference-target'
import { isSceneNode, pageOf, type FigmaPort, type PortPage, type PortRectangle, type PortSceneNode, type PortSlice } from '../figma-port'
import { findAreaOffer } from './find-area-offer'

export interface ExportAreaRequest {
  containerId: string
  nodeIds: ReadonlyArray<string>
  /** The area itself (Edit again on a region result); else what shows of `nodeIds`. */
  rect?: AreaRect
  outputSizes: ReadonlyArray<{ width: number; height: number }>
  /** The reference size the model makes use of; Kontext's when absent. */
  reference?: ReferenceTarget
}

export interface ExportedArea {
  /** The crop, for the model: its sourceId is the container's, its size the crop's at 1×. */
  reference: Reference
  /** The whole container at geometry.frameScale, for the composite. */
  frame: { png: Uint8Array; pixelWidth: number; pixelHeight: number }
  geometry: AreaGeometry
  notes: string[]
}

/** A leftover (the plugin stopped mid-export) says what it is and that it can go. */
export const AREA_SLICE_NAME = 'Kontext Edit export (temporary, safe to delete)'

async function sceneNodeAsync<N extends PortSceneNode>(figma: FigmaPort<N>, id: string, missing: string): Promise<N> {
  const node = await figma.getNodeByIdAsync(id)
  if (!isSceneNode<N>(node) || node.removed) throw new AppError('source_missing', missing)
  return node
}

/** The area: the given rectangle, or what shows of the layers, which must still sit in the container. */
async function areaAsync<N extends PortSceneNode>(figma: FigmaPort<N>, request: ExportAreaRequest, container: N): Promise<AreaRect> {
  if (request.rect !== undefined) return request.rect
  const nodes: N[] = []
  for (const id of request.nodeIds) nodes.push(await sceneNodeAsync(figma, id, 'A layer of the area is no longer in this file.'))
  const offer = findAreaOffer(nodes)
  if (offer === undefined || offer.containerId !== container.id) {
    throw new AppError('export_failed', `The selected layers are no longer inside “${container.name}”.`)
  }
  if (offer.problem !== undefined) throw new AppError('export_failed', offer.problem)
  return offer.rect
}

function pngSize(png: Uint8Array, what: string): { width: number; height: number } {
  const size = readPngSize(png)
  if (size === undefined) throw new AppError('export_failed', `Figma returned no image for ${what}.`)
  return size
}

async function exportOrFailAsync<T>(run: () => Promise<T>, what: string): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new AppError('export_failed', `Figma could not export ${what} as an image. Try again, or edit the whole frame.`, {
      detail: 'exportAsync failed',
      cause: error
    })
  }
}

/**
 * The crop through a temporary slice: a slice's export renders everything under its rectangle at
 * any scale (typings: createSlice; SliceNode's ExportMixin), so the crop comes out natively, text
 * and vectors crisp, with no resampling of a larger render. No commitUndo around it: plugin edits
 * join the undo batch open since the last commit (typings: commitUndo), and a slice created and
 * removed within one step leaves the document as it was, so a commit would only split the
 * designer's undo history for nothing.
 */
async function exportCropAsync(figma: { createSlice(): PortSlice }, at: Rect, scale: number): Promise<Uint8Array> {
  const slice = await exportOrFailAsync(async () => figma.createSlice(), 'the area')
  try {
    return await exportOrFailAsync(async () => {
      slice.name = AREA_SLICE_NAME
      slice.x = at.x
      slice.y = at.y
      slice.resize(at.width, at.height)
      return slice.exportAsync({ format: 'PNG', colorProfile: 'SRGB', constraint: { type: 'SCALE', value: scale } })
    }, 'the area')
  } finally {
    // Also when the export failed: the slice must not stay on the designer's page.
    if (!slice.removed) slice.remove()
  }
}

/**
 * Exports a region edit's two images: the crop around the area (about one megapixel, for the
 * model) and the whole container at the frame scale (for the composite). Coordinates are the
 * container's axis-aligned box on the page, the box `useAbsoluteBounds` exports, so the crop lines
 * up with the frame render even when the container is rotated.
 */
export async function exportAreaAsync<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>, S extends PortSlice>(
  figma: FigmaPort<N, R, P, S>,
  request: ExportAreaRequest
): Promise<ExportedArea> {
  const container = await sceneNodeAsync(figma, request.containerId, 'The frame of the area is no longer in this file.')
  const area = await areaAsync(figma, request, container)
  const box = container.absoluteBoundingBox
  const page = pageOf<P>(container)
  if (box === null || page === undefined) throw new AppError('export_failed', `“${container.name}” is not on a page any more.`)
  const { geometry, notes } = planAreaGeometry(
    area,
    { width: box.width, height: box.height, name: container.name },
    request.outputSizes,
    // Kontext's when absent (planAreaGeometry's default).
    request.reference
  )
  // The slice lands on the current page, and must be on the container's to render it.
  if (page.id !== figma.currentPage.id) await figma.setCurrentPageAsync(page)
  const framePng = await exportOrFailAsync(
    () =>
      container.exportAsync({
        format: 'PNG',
        colorProfile: 'SRGB',
        useAbsoluteBounds: true,
        constraint: { type: 'SCALE', value: geometry.frameScale }
      }),
    `“${container.name}”`
  )
  const frameSize = pngSize(framePng, `“${container.name}”`)
  const { crop } = geometry
  const cropPng = await exportCropAsync(
    figma,
    { x: box.x + crop.x, y: box.y + crop.y, width: crop.width, height: crop.height },
    geometry.cropScale
  )
  const cropSize = pngSize(cropPng, 'the area')
  return {
    reference: {
      sourceId: container.id,
      name: container.name,
      width: crop.width,
      height: crop.height,
      png: cropPng,
      pixelWidth: cropSize.width,
      pixelHeight: cropSize.height
    },
    frame: { png: framePng, pixelWidth: frameSize.width, pixelHeight: frameSize.height },
    geometry,
    notes
  }
}
