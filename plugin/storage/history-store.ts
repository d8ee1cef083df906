import * as z from 'zod'
import { HistoryEntry } from '../../shared/messages'
import type { FigmaPort } from '../figma-port'

type Storage = FigmaPort['clientStorage']

const KEY_PREFIX = 'kontext-edit/history/'
const FILES_KEY = 'kontext-edit/history-files'
/** clientStorage holds 5 MB for all files together: 30 entries of ~5 kB thumbnails a file, 10 files. */
const MAX_ENTRIES = 30
const MAX_FILES = 10

export async function loadHistoryAsync(storage: Storage, fileId: string): Promise<HistoryEntry[]> {
  const parsed = z.array(HistoryEntry).safeParse(await storage.getAsync(KEY_PREFIX + fileId))
  return parsed.success ? parsed.data : []
}

/** Adds an entry (newest first) and drops the oldest entries and least recent files past the caps. */
export async function addHistoryAsync(storage: Storage, fileId: string, entry: HistoryEntry): Promise<HistoryEntry[]> {
  const entries = [entry, ...(await loadHistoryAsync(storage, fileId)).filter((existing) => existing.jobId !== entry.jobId)].slice(0, MAX_ENTRIES)
  await storage.setAsync(KEY_PREFIX + fileId, entries)
  const files = z.array(z.string()).catch([]).parse(await storage.getAsync(FILES_KEY))
  const recent = [fileId, ...files.filter((id) => id !== fileId)]
  for (const stale of recent.slice(MAX_FILES)) await storage.setAsync(KEY_PREFIX + stale, [])
  await storage.setAsync(FILES_KEY, recent.slice(0, MAX_FILES))
  return entries
}
