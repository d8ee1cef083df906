import { AppError } from '../../shared/errors'
import type { JobRecord } from './job-record'
import type { JobsContext } from './jobs-context'

/** The job, for its owner only and until it expires; 404 otherwise (another owner's job is not told apart from none). */
export async function visibleJobAsync(context: JobsContext, id: string, owner: string): Promise<JobRecord> {
  const job = await context.deps.store.getJobAsync(id)
  if (job === undefined || job.owner !== owner || job.expiresAt <= context.deps.now()) {
    throw new AppError('not_found', 'There is no edit with this id (it may have expired).')
  }
  return job
}
