import { AppError } from '../../../shared/errors'
import type { ProviderProgress } from '../provider'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { pollAsync } from '../shared/poll-async'
import { PollNudge } from '../shared/poll-nudge'
import { FalQueueStatus, type FalSubmitted } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER, falError } from './fal-error'
import { listenFalStatusStreamAsync } from './listen-fal-status-stream'

/** Consecutive status answers that cannot be read, or connections that never open, before giving up. */
const MAX_UNUSABLE_POLLS = 3

/** One status poll: fal's status, a blip to poll through, or an unusable answer that counts toward giving up. */
type StatusCheck = { kind: 'status'; status: FalQueueStatus } | { kind: 'blip' } | { kind: 'unusable'; error: AppError }

/**
 * Polls `status_url` until COMPLETED; transient failures are polled through within the deadline.
 * Meanwhile fal's status stream, where it answers, pushes each change: progress shows at once, and
 * COMPLETED cuts the poll's wait short, so the relay reads the status (the source of truth) then.
 */
export async function waitForFalCompletionAsync(
  connection: FalConnection,
  job: FalSubmitted,
  onProgress: (progress: ProviderProgress) => void,
  signal: AbortSignal
): Promise<void> {
  const { deps } = connection
  const statusUrl = connection.checkedUrl(job.status_url, 'status_url')
  let unusable = 0
  let last: string | undefined
  const show = ({ status, queue_position: queuePosition }: FalQueueStatus): void => {
    if (status === 'COMPLETED' || status === last) return
    last = status
    deps.log('provider.status', { provider: FAL_PROVIDER, requestId: job.request_id, status, queuePosition })
    onProgress({ status: status === 'IN_QUEUE' ? 'queued' : 'running' })
  }
  const nudge = new PollNudge()
  const listening = new AbortController()
  void listenFalStatusStreamAsync(connection, statusUrl, job.request_id, AbortSignal.any([signal, listening.signal]), (status) => {
    show(status)
    if (status.status === 'COMPLETED') nudge.nudge()
  })
  try {
    await pollAsync(
      async () => {
        const check = await checkStatusAsync(connection, statusUrl, job.request_id, signal)
        if (check.kind === 'blip') return undefined
        if (check.kind === 'unusable') {
          unusable += 1
          if (unusable >= MAX_UNUSABLE_POLLS) throw check.error
          return undefined
        }
        unusable = 0
        if (check.status.status === 'COMPLETED') return true
        show(check.status)
        return undefined
      },
      { signal, sleepAsync: nudge.sleeper(deps.sleepAsync) }
    )
  } finally {
    listening.abort()
  }
}

async function checkStatusAsync(
  connection: FalConnection,
  statusUrl: string,
  requestId: string,
  signal: AbortSignal
): Promise<StatusCheck> {
  const { deps } = connection
  const answer = await hostFetchAsync(deps.fetch, statusUrl, { headers: connection.headers(false) }, signal)
  if (answer.kind === 'network') {
    deps.log('provider.poll_failed', { provider: FAL_PROVIDER, requestId, detail: answer.detail })
    // A connection that opened and broke is a blip; one that never opens, time after time, is an outage.
    if (answer.reachedHost) return { kind: 'blip' }
    return {
      kind: 'unusable',
      error: new AppError('provider_unavailable', undefined, { detail: `fal status: ${answer.detail}`, cause: answer.error })
    }
  }
  const { response } = answer
  const read = await readTextAsync(response, signal)
  // fal answers 202 while queued or running and 200 once COMPLETED (docs/hosts.md, "fal").
  if (response.status === 200 || response.status === 202) {
    const parsed = read.ok ? FalQueueStatus.safeParse(parseJson(read.text)) : undefined
    if (parsed?.success === true) return { kind: 'status', status: parsed.data }
    const detail = `fal status answered ${response.status} with a body that is not the documented JSON${read.ok ? '' : ` (${read.detail})`}`
    return { kind: 'unusable', error: new AppError('provider_error', undefined, { detail, cause: parsed?.error }) }
  }
  if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 410) {
    throw falError(response, read.ok ? read.text : '', 'status', deps.now())
  }
  deps.log('provider.poll_failed', { provider: FAL_PROVIDER, requestId, status: response.status })
  return { kind: 'blip' }
}
