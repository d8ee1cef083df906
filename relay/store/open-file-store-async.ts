import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { checkStoreFormatAsync } from './check-store-format-async'
import { createFileImages } from './file-images'
import { createFileUsage } from './file-usage'
import { createLedgerDays } from './ledger-days'
import { lockFolderAsync } from './lock-folder-async'
import { openFileJobsAsync } from './open-file-jobs-async'
import type { RelayStore } from './relay-store'

export interface FileStoreOptions {
  log?: (event: string, fields: Record<string, unknown>) => void
  /** Rewrites jobs.log once it has this many lines more than twice the live jobs (default 1000). */
  compactAfterLines?: number
  /** Where Linux's /proc is, to tell a live relay's LOCK from a stale one (lock-folder-async.ts). */
  procRoot?: string
}

/**
 * The Node relay's store: plain files in one folder, written append-only with fsync.
 *
 * ```
 * store.json                format and version
 * LOCK                      the pid (and, on Linux, the start time) of the relay using the folder
 * jobs.log                  JSON lines {"put": job} | {"del": id}; the last put of an id wins
 * images/<job id>/<n>       result bytes, written to a temporary file, fsynced, then renamed
 * ledger/<YYYY-MM-DD>.jsonl the usage entries of that UTC day; a pending line, then its settlement
 * ```
 *
 * Jobs (without bytes) are held in memory too, so reads cost no disk access; every write resolves
 * once it is on disk. jobs.log is compacted (rewritten with one line a live job) at open and when
 * it grows past twice the live jobs. Ledger files are never rewritten: they are the record of
 * spend. Why files and not an embedded database: see docs/team-relay.md, "Why plain files".
 */
export async function openFileStoreAsync(dir: string, options: FileStoreOptions = {}): Promise<RelayStore> {
  const log = options.log ?? (() => undefined)
  // Results and the ledger are the team's business: the folder is its owner's only.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const imagesDir = join(dir, 'images')
  await mkdir(imagesDir, { recursive: true })
  await mkdir(join(dir, 'ledger'), { recursive: true })
  const unlockAsync = await lockFolderAsync(dir, { procRoot: options.procRoot })

  let closed = false
  function assertOpen(): void {
    if (closed) throw new Error(`The store in ${dir} is closed.`)
  }

  try {
    await checkStoreFormatAsync(dir)
    const jobs = await openFileJobsAsync(dir, imagesDir, { log, compactAfterLines: options.compactAfterLines ?? 1000, assertOpen })
    const ledger = createLedgerDays(dir, log)
    return {
      ...jobs,
      ...createFileImages(imagesDir, assertOpen),
      ...createFileUsage(ledger, assertOpen),
      async closeAsync() {
        if (closed) return
        closed = true
        await jobs.closeAsync()
        await ledger.closeAsync()
        await unlockAsync()
      }
    }
  } catch (error) {
    await unlockAsync()
    throw error
  }
}
