import * as z from 'zod/mini'
import { HistoryEntry } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'
import { HISTORY_KEY_PREFIX } from './storage-keys'

export async function loadHistoryAsync(storage: FigmaPort['clientStorage'], fileId: string): Promise<HistoryEntry[]> {
  const parsed = z.array(HistoryEntry).safeParse(await storage.getAsync(HISTORY_KEY_PREFIX + fileId))
  return parsed.success ? parsed.data : []
}
