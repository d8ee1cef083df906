import type { SelectionItem } from '../../shared/messages'
import type { PortSceneNode } from '../figma-port'
import { exportBox } from '../export/export-box'
import { exportProblem } from '../export/export-problem'
import { collectTexts } from './collect-texts'
import { readProvenance } from './read-provenance'

const THUMBNAIL_SIDE = 120
/** Thumbnails cost an export each; past this many the panel shows names only. */
const MAX_THUMBNAILS = 6

async function thumbnailAsync(node: PortSceneNode): Promise<Uint8Array | undefined> {
  const box = exportBox(node)
  const constraint =
    box.width >= box.height ? ({ type: 'WIDTH', value: THUMBNAIL_SIDE } as const) : ({ type: 'HEIGHT', value: THUMBNAIL_SIDE } as const)
  // Stryker disable BlockStatement: an empty catch also ends with undefined (a next-line directive cannot reach a catch block)
  try {
    return await node.exportAsync({ format: 'PNG', constraint, useAbsoluteBounds: true })
  } catch {
    return undefined
  }
  // Stryker restore BlockStatement
}

/**
 * The selection as the panel shows it. `thumbnails: false` leaves out the thumbnails (an export
 * each) and the problem an export failure would show: what the panel needs to open at once.
 */
export async function readSelectionAsync(
  nodes: ReadonlyArray<PortSceneNode>,
  options: { thumbnails: boolean } = { thumbnails: true }
): Promise<SelectionItem[]> {
  return Promise.all(
    nodes.map(async (node, index) => {
      const problem = exportProblem(node)
      const provenance = readProvenance(node)
      const item: SelectionItem = {
        id: node.id,
        name: node.name,
        type: node.type,
        width: Math.round(node.width),
        height: Math.round(node.height),
        texts: collectTexts(node),
        ...(provenance === undefined ? {} : { provenance })
      }
      if (problem !== undefined) return { ...item, problem }
      if (!options.thumbnails || index >= MAX_THUMBNAILS) return item
      const thumbnail = await thumbnailAsync(node)
      return thumbnail === undefined ? { ...item, problem: 'Figma could not export this layer as an image.' } : { ...item, thumbnail }
    })
  )
}
