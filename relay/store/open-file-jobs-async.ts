import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import { JobRecord } from '../jobs/job-record'
import { LineLog } from './line-log'
import { matchesQuery } from './memory-store'
import type { RelayStore } from './relay-store'
import { SAFE_ID } from './safe-id'

const JobLine = z.union([z.object({ put: JobRecord }).strict(), z.object({ del: z.string() }).strict()])

type Log = (event: string, fields: Record<string, unknown>) => void

/** The file store's jobs: jobs.log, with every live job held in memory. */
export type FileJobs = Pick<RelayStore, 'getJobAsync' | 'putJobAsync' | 'listJobsAsync' | 'deleteJobAsync' | 'closeAsync'>

export interface FileJobsOptions {
  log: Log
  /** Rewrites jobs.log once it has this many lines more than twice the live jobs. */
  compactAfterLines: number
  /** Throws once the store is closed. */
  assertOpen: () => void
}

function readJobs(records: readonly unknown[], log: Log): Map<string, JobRecord> {
  const jobs = new Map<string, JobRecord>()
  records.forEach((record, index) => {
    const line = JobLine.safeParse(record)
    if (!line.success) return log('store.corrupt_line', { file: 'jobs.log', line: index + 1 })
    if ('put' in line.data) jobs.set(line.data.put.id, line.data.put)
    else jobs.delete(line.data.del)
  })
  return jobs
}

/**
 * Images of jobs that are gone or never succeeded (a crash between writing them and the job).
 */
async function removeOrphanImagesAsync(imagesDir: string, jobs: ReadonlyMap<string, JobRecord>): Promise<void> {
  for (const name of await readdir(imagesDir)) {
    const job = jobs.get(name)
    if (job === undefined || job.status !== 'succeeded') await rm(join(imagesDir, name), { recursive: true, force: true })
  }
}

/**
 * Opens jobs.log in `dir` (compacting it when it holds more lines than live jobs) and removes the
 * images of jobs that did not succeed; the images of a deleted job go with it.
 */
export async function openFileJobsAsync(dir: string, imagesDir: string, options: FileJobsOptions): Promise<FileJobs> {
  const { log, assertOpen } = options
  const opened = await LineLog.openAsync(join(dir, 'jobs.log'), {
    onCorruptLine: (line) => log('store.corrupt_line', { file: 'jobs.log', line }),
    onTornTail: (bytes) => log('store.torn_tail', { file: 'jobs.log', bytes })
  })
  const file = opened.log
  const jobs = readJobs(opened.records, log)

  async function compactIfNeededAsync(force = false): Promise<void> {
    if (!force && file.lines < 2 * jobs.size + options.compactAfterLines) return
    const before = file.lines
    await file.rewriteAsync(() => [...jobs.values()].map((job) => ({ put: job })))
    log('store.compacted', { file: 'jobs.log', linesBefore: before, linesAfter: file.lines })
  }
  try {
    if (file.lines > jobs.size) await compactIfNeededAsync(true)
    await removeOrphanImagesAsync(imagesDir, jobs)
  } catch (error) {
    await file.closeAsync()
    throw error
  }

  return {
    async getJobAsync(id) {
      assertOpen()
      return jobs.get(id)
    },
    async putJobAsync(job) {
      assertOpen()
      const before = jobs.get(job.id)
      jobs.set(job.id, job)
      try {
        await file.appendAsync([{ put: job }])
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
      assertOpen()
      return [...jobs.values()].filter((job) => matchesQuery(job, query))
    },
    async deleteJobAsync(id) {
      assertOpen()
      if (!jobs.has(id)) return
      jobs.delete(id)
      await file.appendAsync([{ del: id }])
      if (SAFE_ID.test(id)) await rm(join(imagesDir, id), { recursive: true, force: true })
      await compactIfNeededAsync()
    },
    closeAsync: () => file.closeAsync()
  }
}
