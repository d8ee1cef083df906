import type { JobRecord } from './job-record'

/**
 * Where jobs and their result bytes live until they expire. In memory for now; a persistent store
 * (so a restart loses no paid result) implements the same interface.
 */
export interface JobStore {
  get(id: string): JobRecord | undefined
  put(job: JobRecord): void
  delete(id: string): void
  values(): Iterable<JobRecord>
}

export function createMemoryJobStore(): JobStore {
  const jobs = new Map<string, JobRecord>()
  return {
    get: (id) => jobs.get(id),
    put: (job) => void jobs.set(job.id, job),
    delete: (id) => void jobs.delete(id),
    values: () => jobs.values()
  }
}
