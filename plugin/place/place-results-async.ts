import { AppError } from '../../shared/errors'
import { FIGMA_MAX_IMAGE_SIDE } from '../../shared/limits'
import type { ResultImage } from '../../shared/messages'
import { PROVENANCE_KEY } from '../../shared/provenance'
import { isSceneNode, pageOf, type FigmaPort, type PortPage, type PortRectangle, type PortSceneNode } from '../figma-port'
import { findFreeSpot, type Box } from './find-free-spot'

export const RESULT_GAP = 40

export interface PlaceResultsInput {
  sourceId: string
  images: ReadonlyArray<ResultImage>
}

function resultName(sourceName: string, variant: number, count: number, seed: number | undefined): string {
  if (count === 1) return `${sourceName} · Kontext edit`
  return `${sourceName} · Kontext edit ${variant}${seed === undefined ? '' : ` · seed ${seed}`}`
}

/** Manifest relaunchButtons: shown in the properties panel whenever a result is selected. */
export const RELAUNCH_DATA = {
  'edit-again': 'Edit this result with a new instruction',
  'new-variation': 'Run the same edit again with a new seed'
}

/**
 * Places each result as a new rectangle with an IMAGE fill, at page level to the right of the
 * source (never inside its parent, which may use auto-layout and would move it), stepping further
 * right past anything already there. One commitUndo before inserting makes one undo remove them all.
 */
export async function placeResultsAsync<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(
  figma: FigmaPort<N, R, P>,
  input: PlaceResultsInput,
  isCanceled: () => boolean = () => false
): Promise<{ nodeIds: string[]; besideSource: boolean }> {
  const source = await figma.getNodeByIdAsync(input.sourceId)
  const sourcePage = isSceneNode<N>(source) && !source.removed ? pageOf<P>(source) : undefined
  const besideSource = isSceneNode<N>(source) && sourcePage !== undefined
  const page: P = sourcePage ?? figma.currentPage
  // Under documentAccess "dynamic-page" a page other than the current one may not be loaded yet,
  // and its children (read below for free space) throw until it is (plugin typings: PageNode.loadAsync).
  await page.loadAsync()
  // A cancel that arrived while the source was looked up still wins: nothing is on the canvas yet.
  if (isCanceled()) throw new AppError('canceled', 'Canceled before the result was placed. Your result is kept: you can still place it.')

  for (const image of input.images) {
    if (image.width > FIGMA_MAX_IMAGE_SIDE || image.height > FIGMA_MAX_IMAGE_SIDE) {
      throw new AppError(
        'place_failed',
        `The result is ${image.width}×${image.height}; Figma takes at most ${FIGMA_MAX_IMAGE_SIDE} px a side.`
      )
    }
  }
  // Create every image before touching the canvas, so a rejected image leaves nothing behind.
  let hashes: string[]
  try {
    hashes = input.images.map((image) => figma.createImage(image.bytes).hash)
  } catch (error) {
    throw new AppError('place_failed', undefined, { detail: 'figma.createImage refused a result', cause: error })
  }

  let anchor: Box
  let size: { width: number; height: number }
  if (besideSource) {
    const box = source.absoluteBoundingBox ?? { x: 0, y: 0, width: source.width, height: source.height }
    // The box, not width/height: the reference was exported as it, so a rotated source's result fits it.
    size = { width: box.width, height: box.height }
    anchor = { x: box.x + box.width + RESULT_GAP, y: box.y, ...size }
  } else {
    const first = input.images[0]!
    size = { width: first.width, height: first.height }
    anchor = { x: Math.round(figma.viewport.center.x - size.width / 2), y: Math.round(figma.viewport.center.y - size.height / 2), ...size }
  }

  const obstacles: Box[] = page.children.flatMap((child) => (child.absoluteBoundingBox === null ? [] : [child.absoluteBoundingBox]))
  // New nodes land on the current page, so go to the source's page first (the designer may have
  // switched pages while the edit ran).
  if (page.id !== figma.currentPage.id) await figma.setCurrentPageAsync(page)
  figma.commitUndo()
  const placed: R[] = []
  let next = anchor
  for (const [index, image] of input.images.entries()) {
    const spot = findFreeSpot(next, obstacles, RESULT_GAP)
    const rect = figma.createRectangle()
    rect.resize(size.width, size.height)
    rect.x = spot.x
    rect.y = spot.y
    // Fills are read-only arrays in Figma: assign a new one.
    rect.fills = [{ type: 'IMAGE', imageHash: hashes[index]!, scaleMode: 'FILL' }]
    rect.name = resultName(image.provenance.sourceName, image.provenance.variant, input.images.length, image.provenance.seed)
    rect.setPluginData(PROVENANCE_KEY, JSON.stringify(image.provenance))
    rect.setRelaunchData(RELAUNCH_DATA)
    placed.push(rect)
    obstacles.push(spot)
    // Stryker disable next-line ArithmeticOperator: the spot just placed is an obstacle, so a start left of its gap is pushed past it to the same place
    next = { ...spot, x: spot.x + spot.width + RESULT_GAP }
  }
  page.selection = placed
  figma.viewport.scrollAndZoomIntoView(placed)
  return { nodeIds: placed.map((rect) => rect.id), besideSource }
}
