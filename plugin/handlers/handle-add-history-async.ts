import type { HistoryEntry } from '../../shared/messages'
import { exportBox } from '../export/export-box'
import { isSceneNode, type FigmaPort } from '../figma-port'
import { addHistoryAsync } from '../storage/add-history-async'
import type { MessageHandler } from './handler-context'

const HISTORY_THUMBNAIL_SIDE = 96

async function thumbnailAsync(figma: FigmaPort, nodeId: string | undefined): Promise<Uint8Array | undefined> {
  const node = nodeId === undefined ? null : await figma.getNodeByIdAsync(nodeId)
  if (!isSceneNode(node)) return undefined
  const box = exportBox(node)
  const constraint =
    box.width >= box.height
      ? ({ type: 'WIDTH', value: HISTORY_THUMBNAIL_SIDE } as const)
      : ({ type: 'HEIGHT', value: HISTORY_THUMBNAIL_SIDE } as const)
  return node.exportAsync({ format: 'JPG', constraint }).catch(() => undefined)
}

export const handleAddHistoryAsync: MessageHandler<'add-history'> = async (message, { figma, post, fileId }) => {
  const thumbnail = await thumbnailAsync(figma, message.entry.nodeIds[0])
  const entry: HistoryEntry = thumbnail === undefined ? message.entry : { ...message.entry, thumbnail }
  post({ type: 'history', history: await addHistoryAsync(figma.clientStorage, fileId(), entry) })
}
