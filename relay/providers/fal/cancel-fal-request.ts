import { hostFetchAsync } from '../shared/host-fetch-async'
import type { FalSubmitted } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER } from './fal-error'

const CANCEL_TIMEOUT_MS = 5000

/**
 * `PUT cancel_url` (fal docs "model-endpoints/queue"), for a request the relay stopped following.
 * Best effort and never awaited by the caller: the edit is already over for the relay.
 */
export function cancelFalRequest(connection: FalConnection, job: FalSubmitted): void {
  const { deps } = connection
  let cancelUrl: string
  try {
    cancelUrl = connection.checkedUrl(job.cancel_url, 'cancel_url')
  } catch {
    // A cancel_url the key may not go to is not called; the job then runs out on fal's side.
    return
  }
  deps.log('provider.cancel', { provider: FAL_PROVIDER, requestId: job.request_id })
  void hostFetchAsync(deps.fetch, cancelUrl, { method: 'PUT', headers: connection.headers(false) }, AbortSignal.timeout(CANCEL_TIMEOUT_MS))
    .then(async (answer) => {
      const status = answer.kind === 'response' ? answer.response.status : undefined
      if (answer.kind === 'response') await answer.response.body?.cancel().catch(() => undefined)
      deps.log('provider.canceled', { provider: FAL_PROVIDER, requestId: job.request_id, status })
    })
    .catch(() => undefined)
}
