import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import { JobRecord } from '../jobs/job-record'
import { fitsBudget, settled, totalsOf, UsageEntry } from '../usage/usage'
import { lockFolderAsync } from './folder-lock'
import { LineLog, syncDirectoryAsync } from './line-log'
import { matchesQuery } from './memory-store'
import type { RelayStore } from './relay-store'

const FORMAT = { format: 'kontext-edit-relay-store', version: 1 } as const

const JobLine = z.union([z.object({ put: JobRecord }).strict(), z.object({ del: z.string() }).strict()])
const LedgerLine = UsageEntry

/** Job ids become folder names: only what the relay's own UUIDs use. */
const SAFE_ID = /^[A-Za-z0-9-]{1,100}$/
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** How many UTC days of the ledger stay in memory (the others are read again when asked for). */
const DAYS_IN_MEMORY = 3

export { StoreLockedError } from './folder-lock'

export interface FileStoreOptions {
  log?: (event: string, fields: Record<string, unknown>) => void
  /** Rewrites jobs.log once it has this many lines more than twice the live jobs (default 1000). */
  compactAfterLines?: number
  /** Where Linux's /proc is, to tell a live relay's LOCK from a stale one (folder-lock.ts). */
  procRoot?: string
}

interface LedgerDay {
  log: LineLog
  entries: Map<string, UsageEntry>
}

async function existsAsync(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false
    throw error
  }
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
  const compactAfterLines = options.compactAfterLines ?? 1000
  // Results and the ledger are the team's business: the folder is its owner's only.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await mkdir(join(dir, 'images'), { recursive: true })
  await mkdir(join(dir, 'ledger'), { recursive: true })
  const unlockAsync = await lockFolderAsync(dir, { procRoot: options.procRoot })
  let jobsLog: LineLog | undefined

  try {
    const formatPath = join(dir, 'store.json')
    const format = await readFile(formatPath, 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      (error: unknown) => ((error as { code?: unknown }).code === 'ENOENT' ? undefined : Promise.reject(error))
    )
    if (format === undefined) {
      await writeFile(formatPath, `${JSON.stringify(FORMAT)}\n`)
      await syncDirectoryAsync(dir)
    } else if (JSON.stringify(format) !== JSON.stringify(FORMAT)) {
      throw new Error(`${dir} holds data of another format (${JSON.stringify(format)}); this relay reads ${JSON.stringify(FORMAT)}.`)
    }

    const jobs = new Map<string, JobRecord>()
    const jobsPath = join(dir, 'jobs.log')
    const opened = await LineLog.openAsync(jobsPath, {
      onCorruptLine: (line) => log('store.corrupt_line', { file: 'jobs.log', line }),
      onTornTail: (bytes) => log('store.torn_tail', { file: 'jobs.log', bytes })
    })
    jobsLog = opened.log
    const jobsFile = jobsLog
    opened.records.forEach((record, index) => {
      const line = JobLine.safeParse(record)
      if (!line.success) return log('store.corrupt_line', { file: 'jobs.log', line: index + 1 })
      if ('put' in line.data) jobs.set(line.data.put.id, line.data.put)
      else jobs.delete(line.data.del)
    })

    async function compactIfNeededAsync(force = false): Promise<void> {
      if (!force && jobsFile.lines < 2 * jobs.size + compactAfterLines) return
      const before = jobsFile.lines
      await jobsFile.rewriteAsync(() => [...jobs.values()].map((job) => ({ put: job })))
      log('store.compacted', { file: 'jobs.log', linesBefore: before, linesAfter: jobsFile.lines })
    }
    if (jobsFile.lines > jobs.size) await compactIfNeededAsync(true)

    // Images of jobs that are gone or never succeeded (a crash between writing them and the job).
    const imagesDir = join(dir, 'images')
    for (const name of await readdir(imagesDir)) {
      const job = jobs.get(name)
      if (job === undefined || job.status !== 'succeeded') await rm(join(imagesDir, name), { recursive: true, force: true })
    }

    const days = new Map<string, Promise<LedgerDay>>()
    /** Operations under way on each day: such a day is never evicted from memory. */
    const inUse = new Map<string, number>()

    function loadDayAsync(day: string): Promise<LedgerDay> {
      let loading = days.get(day)
      if (loading === undefined) {
        loading = (async () => {
          const file = `${day}.jsonl`
          const { log: dayLog, records } = await LineLog.openAsync(join(dir, 'ledger', file), {
            onCorruptLine: (line) => log('store.corrupt_line', { file: `ledger/${file}`, line }),
            onTornTail: (bytes) => log('store.torn_tail', { file: `ledger/${file}`, bytes })
          })
          const entries = new Map<string, UsageEntry>()
          records.forEach((record, index) => {
            const entry = LedgerLine.safeParse(record)
            if (!entry.success) return log('store.corrupt_line', { file: `ledger/${file}`, line: index + 1 })
            const known = entries.get(entry.data.jobId)
            // A settled entry never changes again, whatever follows it.
            if (known === undefined || known.outcome === 'pending') entries.set(entry.data.jobId, entry.data)
          })
          return { log: dayLog, entries }
        })()
        days.set(day, loading)
        loading.catch(() => days.delete(day))
      }
      return loading
    }

    /** Keeps the few most recent days in memory; the ledger files keep them all. */
    function evictDays(): void {
      const idle = [...days.keys()].filter((day) => (inUse.get(day) ?? 0) === 0).sort()
      while (days.size > DAYS_IN_MEMORY && idle.length > 0) {
        const day = idle.shift()!
        const evicted = days.get(day)!
        days.delete(day)
        void evicted.then((ledger) => ledger.log.closeAsync(), () => undefined)
      }
    }

    /** Runs `use` on one day's ledger; the day stays loaded meanwhile. */
    async function withDayAsync<T>(day: string, use: (ledger: LedgerDay) => Promise<T> | T): Promise<T> {
      if (!DAY.test(day)) throw new Error(`Not a UTC day: ${day}`)
      inUse.set(day, (inUse.get(day) ?? 0) + 1)
      try {
        return await use(await loadDayAsync(day))
      } finally {
        const left = (inUse.get(day) ?? 1) - 1
        if (left === 0) inUse.delete(day)
        else inUse.set(day, left)
        evictDays()
      }
    }

    /**
     * Runs a read on one day's ledger. A day with no file is answered empty without creating one:
     * `GET /v1/usage?day=…` for days nobody spent on must leave nothing behind.
     */
    async function readDayAsync<T>(day: string, use: (entries: ReadonlyMap<string, UsageEntry>) => T): Promise<T> {
      if (!DAY.test(day)) return use(new Map())
      if (!(await hasDayAsync(day))) return use(new Map())
      return withDayAsync(day, (ledger) => use(ledger.entries))
    }

    async function hasDayAsync(day: string): Promise<boolean> {
      return days.has(day) || existsAsync(join(dir, 'ledger', `${day}.jsonl`))
    }

    function imageDir(jobId: string): string {
      if (!SAFE_ID.test(jobId)) throw new Error(`Not a job id: ${jobId}`)
      return join(imagesDir, jobId)
    }

    let closed = false
    function open_(): void {
      if (closed) throw new Error(`The store in ${dir} is closed.`)
    }

    return {
      async getJobAsync(id) {
        open_()
        return jobs.get(id)
      },
      async putJobAsync(job) {
        open_()
        const before = jobs.get(job.id)
        jobs.set(job.id, job)
        try {
          await jobsFile.appendAsync([{ put: job }])
        } catch (error) {
          if (jobs.get(job.id) === job) {
            if (before === undefined) jobs.delete(job.id)
            else jobs.set(job.id, before)
          }
          throw error
        }
        await compactIfNeededAsync()
      },
      async listJobsAsync(query = {}) {
        open_()
        return [...jobs.values()].filter((job) => matchesQuery(job, query))
      },
      async deleteJobAsync(id) {
        open_()
        if (!jobs.has(id)) return
        jobs.delete(id)
        await jobsFile.appendAsync([{ del: id }])
        if (SAFE_ID.test(id)) await rm(join(imagesDir, id), { recursive: true, force: true })
        await compactIfNeededAsync()
      },

      async putImagesAsync(jobId, images) {
        open_()
        const folder = imageDir(jobId)
        await mkdir(folder, { recursive: true })
        for (const [index, bytes] of images.entries()) {
          const temporary = join(folder, `${index}.tmp`)
          const handle = await open(temporary, 'w')
          try {
            await handle.writeFile(bytes)
            await handle.sync()
          } finally {
            await handle.close()
          }
          await rename(temporary, join(folder, String(index)))
        }
        await syncDirectoryAsync(folder)
        await syncDirectoryAsync(imagesDir)
      },
      async getImageAsync(jobId, index) {
        open_()
        if (!SAFE_ID.test(jobId) || !Number.isInteger(index) || index < 0) return undefined
        try {
          return new Uint8Array(await readFile(join(imagesDir, jobId, String(index))))
        } catch (error) {
          if ((error as { code?: unknown }).code === 'ENOENT') return undefined
          throw error
        }
      },

      async reserveUsageAsync(entry, dailyBudgetUsd) {
        open_()
        return withDayAsync(entry.day, async (ledger) => {
          // Check and insert in one synchronous step: nothing can interleave between them.
          const fits = fitsBudget(ledger.entries.values(), entry, dailyBudgetUsd)
          if (!fits.ok) return fits
          ledger.entries.set(entry.jobId, entry)
          try {
            await ledger.log.appendAsync([entry])
          } catch (error) {
            if (ledger.entries.get(entry.jobId) === entry) ledger.entries.delete(entry.jobId)
            throw error
          }
          return fits
        })
      },
      async settleUsageAsync(day, jobId, settlement) {
        open_()
        // Nothing to settle on a day with no ledger file; opening it would create one.
        if (!DAY.test(day) || !(await hasDayAsync(day))) return false
        return withDayAsync(day, async (ledger) => {
          const entry = ledger.entries.get(jobId)
          if (entry === undefined || entry.outcome !== 'pending') return false
          const next = settled(entry, settlement)
          ledger.entries.set(jobId, next)
          try {
            await ledger.log.appendAsync([next])
          } catch (error) {
            if (ledger.entries.get(jobId) === next) ledger.entries.set(jobId, entry)
            throw error
          }
          return true
        })
      },
      async usageEntriesAsync(day, owner) {
        open_()
        return readDayAsync(day, (entries) => [...entries.values()].filter((entry) => owner === undefined || entry.owner === owner))
      },
      async usageTotalsAsync(day) {
        open_()
        return readDayAsync(day, (entries) => totalsOf(entries.values()))
      },

      async closeAsync() {
        if (closed) return
        closed = true
        await jobsFile.closeAsync()
        for (const loading of days.values()) await loading.then((ledger) => ledger.log.closeAsync(), () => undefined)
        days.clear()
        await unlockAsync()
      }
    }
  } catch (error) {
    await jobsLog?.closeAsync()
    await unlockAsync()
    throw error
  }
}
