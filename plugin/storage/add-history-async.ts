import * as z from 'zod/mini'
import type { HistoryEntry } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'
import { loadHistoryAsync } from './load-history-async'
import { HISTORY_FILES_KEY, HISTORY_KEY_PREFIX } from './storage-keys'

/** clientStorage holds 5 MB for all files together: 30 entries of ~5 kB thumbnails a file, 10 files. */
const MAX_ENTRIES = 30
const MAX_FILES = 10

/** Adds an entry (newest first) and drops the oldest entries and least recent files past the caps. */
export async function addHistoryAsync(storage: FigmaPort['clientStorage'], fileId: string, entry: HistoryEntry): Promise<HistoryEntry[]> {
  const entries = [entry, ...(await loadHistoryAsync(storage, fileId)).filter((existing) => existing.jobId !== entry.jobId)].slice(
    0,
    MAX_ENTRIES
  )
  await storage.setAsync(HISTORY_KEY_PREFIX + fileId, entries)
  const files = z.catch(z.array(z.string()), []).parse(await storage.getAsync(HISTORY_FILES_KEY))
  const recent = [fileId, ...files.filter((id) => id !== fileId)]
  for (const stale of recent.slice(MAX_FILES)) await storage.setAsync(HISTORY_KEY_PREFIX + stale, [])
  await storage.setAsync(HISTORY_FILES_KEY, recent.slice(0, MAX_FILES))
  return entries
}
