import type { ProviderProgress } from '../provider'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { pollAsync } from '../shared/poll-async'
import { BflPollAnswer } from './bfl-answers'
import { BFL_PROVIDER, type BflContext } from './bfl-context'
import { interpretBflPoll, type BflSample } from './interpret-bfl-poll'
import { mayReceiveBflKey } from './may-receive-bfl-key'
import type { BflTask } from './submit-bfl-task-async'

/** Consecutive unreadable poll answers before giving up (a proxy glitch is retried, garbage is not). */
const MAX_GARBLED_POLLS = 3

/** The task's `polling_url`, checked against the key rules (may-receive-bfl-key.ts) before any request. */
function pollingUrlOf(context: BflContext, task: BflTask): URL {
  let url: URL
  try {
    url = new URL(task.pollingUrl)
  } catch (error) {
    throw context.fail('provider_error', `polling_url is not a URL: ${task.pollingUrl.slice(0, 100)}`, error)
  }
  if (!mayReceiveBflKey(url, context.baseUrl)) {
    context.deps.log('provider.refused_polling_url', { provider: BFL_PROVIDER, hostJobId: task.id, origin: url.origin })
    throw context.fail('provider_error', `polling_url for ${task.id} is on ${url.origin}, where the relay does not send the key`)
  }
  return url
}

/**
 * Follows `polling_url` exactly as BFL gave it to a final status (BFL's integration guidelines:
 * never rebuild it). Network failures, 429 and 5xx answers are polled again; a few garbled
 * answers in a row are tolerated; the deadline is the signal's.
 */
export async function followBflTaskAsync(
  context: BflContext,
  task: BflTask,
  onProgress: (progress: ProviderProgress) => void,
  signal: AbortSignal
): Promise<BflSample> {
  const { deps, key } = context
  const url = pollingUrlOf(context, task)
  const logged = { provider: BFL_PROVIDER, hostJobId: task.id }
  let garbled = 0
  let lastStatus = ''
  const pollOnceAsync = async (): Promise<BflSample | undefined> => {
    const answer = await hostFetchAsync(
      deps.fetch,
      url.href,
      { headers: { 'x-key': key, accept: 'application/json' }, redirect: 'manual' },
      signal
    )
    if (answer.kind === 'network') {
      deps.log('provider.poll_failed', { ...logged, detail: context.redact(answer.detail) })
      return undefined
    }
    const { response } = answer
    const read = await readTextAsync(response, signal)
    const json = read.ok ? parseJson(read.text) : undefined
    const parsed = BflPollAnswer.safeParse(json)
    // A 404 that names a status is BFL's "Task not found"; other failures are judged by status.
    if (!response.ok && !(response.status === 404 && parsed.success)) {
      if (response.status === 429 || response.status >= 500) {
        deps.log('provider.poll_failed', { ...logged, status: response.status })
        return undefined
      }
      throw context.statusError(response.status, json, read.ok ? read.text : '', `poll of ${task.id}`)
    }
    if (!parsed.success) {
      garbled += 1
      deps.log('provider.poll_garbled', { ...logged, count: garbled })
      if (garbled >= MAX_GARBLED_POLLS)
        throw context.fail(
          'provider_error',
          `poll of ${task.id} answered ${garbled} times with an unreadable body: ${read.ok ? read.text.slice(0, 200) : read.detail}`
        )
      return undefined
    }
    garbled = 0
    if (parsed.data.status !== lastStatus) {
      lastStatus = parsed.data.status
      deps.log('provider.status', { ...logged, status: lastStatus })
    }
    return interpretBflPoll(context, task.id, parsed.data, onProgress)
  }
  return pollAsync(pollOnceAsync, { signal, sleepAsync: deps.sleepAsync })
}
