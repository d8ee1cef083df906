import { AppError } from '../../shared/errors'
import { toRelayErrorInfo } from '../../shared/to-relay-error-info'
import { PROVIDERS, type ProviderId } from '../../shared/models'
import { TERMINAL_STATUSES } from '../../shared/relay-api'
import type { JobRecord } from './job-record'
import type { JobsContext } from './jobs-context'
import { settleUsageAsync } from './settle-usage-async'
import { visibleJobAsync } from './visible-job-async'

/**
 * What a cancel answers on a host that cannot stop a job (the catalogue's `cancel: false`): the
 * edit is canceled for the client, but the host runs it to the end and bills it.
 */
function keepsRunningMessage(provider: ProviderId): string {
  return `Canceled. ${PROVIDERS[provider].name} cannot stop an edit it has started: it runs to the end and is billed, so its price stays held on your budget until then, and its images will show on this edit when it ends.`
}

/** See `EditJobs.cancelAsync`. */
export async function cancelJobAsync(context: JobsContext, id: string, owner: string): Promise<JobRecord> {
  const { deps, changes } = context
  const job = await visibleJobAsync(context, id, owner)
  if (!TERMINAL_STATUSES.includes(job.status)) {
    const controller = context.controllers.get(id)
    const hostKeepsRunning = controller !== undefined && !PROVIDERS[job.provider].cancel
    const ended = hostKeepsRunning
      ? await changes.finishAsync(id, 'canceled', {
          error: toRelayErrorInfo(new AppError('canceled', keepsRunningMessage(job.provider))),
          progress: undefined,
          hostRunning: true,
          // Kept until the host's deadline has passed, then for the usual retention.
          expiresAt: deps.now() + deps.providerTimeoutMs + deps.resultTtlMs
        })
      : await changes.finishAsync(id, 'canceled', { error: toRelayErrorInfo(new AppError('canceled')), progress: undefined })
    if (!hostKeepsRunning) controller?.abort(new AppError('canceled'))
    if (ended) deps.log('job.canceled', { jobId: id, hostKeepsRunning })
    // No run here to settle it (another process's, or one that already ended): release it now.
    if (controller === undefined) await settleUsageAsync(deps, job, 'canceled', undefined, 'canceled')
  }
  return visibleJobAsync(context, id, owner)
}
