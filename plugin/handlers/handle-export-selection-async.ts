import { AppError } from '../../shared/errors'
import { KONTEXT_REFERENCE } from '../../shared/reference-target'
import { toErrorInfo } from '../../shared/to-error-info'
import { exportReferencesAsync } from '../export/export-references-async'
import { isSceneNode, type FigmaPort, type PortSceneNode } from '../figma-port'
import type { MessageHandler } from './handler-context'

async function nodesAsync(figma: FigmaPort, ids: readonly string[] | undefined): Promise<ReadonlyArray<PortSceneNode>> {
  if (ids === undefined) return figma.currentPage.selection
  const nodes = await Promise.all(ids.map((id) => figma.getNodeByIdAsync(id)))
  if (nodes.some((node) => !isSceneNode(node) || node.removed))
    throw new AppError('source_missing', 'The layer to edit is no longer in this file.')
  return nodes.filter(isSceneNode)
}

export const handleExportSelectionAsync: MessageHandler<'export-selection'> = async (message, { figma, deps, canceled, post }) => {
  try {
    const references = await exportReferencesAsync(await nodesAsync(figma, message.nodeIds), message.reference ?? KONTEXT_REFERENCE)
    if (!canceled.has(message.requestId)) post({ type: 'exported', requestId: message.requestId, references })
  } catch (error) {
    deps.log('export failed', error instanceof AppError ? error.detail : error)
    post({ type: 'export-failed', requestId: message.requestId, error: toErrorInfo(error, 'export_failed') })
  }
}
