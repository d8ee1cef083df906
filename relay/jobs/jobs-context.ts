import { AppError } from '../../shared/errors'
import type { EditCapacity } from './edit-capacity'
import type { EditJobsDeps } from './edit-jobs'
import type { JobChanges } from './job-changes'

/** What the parts of `createEditJobs` share in one process: its deps and the runs it follows. */
export interface JobsContext {
  readonly deps: EditJobsDeps
  readonly changes: JobChanges
  readonly capacity: EditCapacity
  /** The abort controllers of the runs this process follows, by job id. */
  readonly controllers: Map<string, AbortController>
  /** The runs this process follows, by job id (shutdown and tests wait for them). */
  readonly running: Map<string, Promise<void>>
  /** True from the start of a shutdown on: no new edits. */
  draining: boolean
}

/** Throws 503 interrupted once the relay is shutting down. */
export function refuseWhileDraining(context: Pick<JobsContext, 'draining'>): void {
  if (context.draining)
    throw new AppError('interrupted', 'The relay is restarting and takes no new edits. Try again in a minute.', { retryAfterSeconds: 30 })
}
