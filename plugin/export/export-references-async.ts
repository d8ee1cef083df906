import { AppError } from '../../shared/errors'
import { MAX_REFERENCES } from '../../shared/limits'
import type { Reference } from '../../shared/messages'
import { readPngSize } from '../../shared/read-png-size'
import type { PortSceneNode } from '../figma-port'
import { exportBox } from './export-box'
import { exportProblem } from './export-problem'
import { shareOf, type ReferenceTarget } from '../../shared/reference-target'
import { referenceExportSettings } from './reference-export-settings'

/** Exports each selected node as an sRGB PNG at the size the model makes use of (`target`). */
export async function exportReferencesAsync(nodes: ReadonlyArray<PortSceneNode>, target: ReferenceTarget): Promise<Reference[]> {
  if (nodes.length === 0) throw new AppError('nothing_selected')
  if (nodes.length > MAX_REFERENCES) {
    throw new AppError('export_failed', `Select at most ${MAX_REFERENCES} layers; ${nodes.length} are selected.`)
  }
  const references: Reference[] = []
  for (const node of nodes) {
    const problem = exportProblem(node)
    if (problem !== undefined) throw new AppError('export_failed', `“${node.name}”: ${problem}`)
    // From the exported box, not width/height: a rotated frame exports larger than its own size.
    const box = exportBox(node)
    const { settings } = referenceExportSettings(box.width, box.height, shareOf(target, nodes.length))
    let png: Uint8Array
    try {
      png = await node.exportAsync(settings)
    } catch (error) {
      throw new AppError('export_failed', `Figma could not export “${node.name}” as an image. Try selecting the frame that contains it.`, {
        detail: 'exportAsync failed',
        cause: error
      })
    }
    const size = readPngSize(png)
    if (size === undefined) throw new AppError('export_failed', `Figma returned no image for “${node.name}”.`)
    references.push({
      sourceId: node.id,
      name: node.name,
      width: node.width,
      height: node.height,
      png,
      pixelWidth: size.width,
      pixelHeight: size.height
    })
  }
  return references
}
