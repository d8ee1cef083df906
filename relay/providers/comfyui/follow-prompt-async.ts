import { AppError } from '../../../shared/errors'
import type { ProviderDeps } from '../provider'
import { pollAsync } from '../shared/poll-async'
import type { HistoryEntry } from './comfyui-answers'
import type { ComfyuiClient } from './comfyui-client'

const PROVIDER = 'comfyui'
const MAX_UNREACHABLE_POLLS = 3
/** Polls that find the prompt neither queued nor in history before the relay calls it lost. */
const MAX_MISSING_POLLS = 3

export interface FollowOptions {
  signal: AbortSignal
  /** Where `/queue` lists the prompt while it has no history. */
  onPlace(place: 'pending' | 'running'): void
  /** The poll's sleep (a PollNudge's, so the websocket can cut it short). */
  sleepAsync: ProviderDeps['sleepAsync']
}

/** Polls `GET /history/{prompt_id}` until the prompt has an entry, asking `/queue` where it is meanwhile. */
export async function followPromptAsync(client: ComfyuiClient, promptId: string, options: FollowOptions): Promise<HistoryEntry> {
  const { signal } = options
  const { log } = client.deps
  let unreachable = 0
  let missing = 0
  return pollAsync(
    async () => {
      const history = await client.historyAsync(promptId, signal)
      if ('failed' in history) {
        unreachable = history.reachedHost ? 0 : unreachable + 1
        log('provider.poll_failed', { provider: PROVIDER, promptId, detail: history.detail })
        if (unreachable >= MAX_UNREACHABLE_POLLS)
          throw new AppError('provider_unavailable', undefined, {
            detail: `comfyui unreachable while waiting: ${history.detail}`,
            cause: history.error
          })
        return undefined
      }
      unreachable = 0
      if (history.entry !== null) return history.entry
      const place = await client.queuePlaceAsync(promptId, signal)
      if (place === 'pending' || place === 'running') {
        missing = 0
        options.onPlace(place)
      } else if (place === 'absent') {
        // It may have finished between the two calls; only a second empty history means lost.
        const again = await client.historyAsync(promptId, signal)
        if (!('failed' in again) && again.entry !== null) return again.entry
        missing += 1
        if (missing >= MAX_MISSING_POLLS)
          throw new AppError('provider_error', undefined, {
            detail: `comfyui prompt ${promptId} left the queue without a history entry (deleted at the host?)`
          })
      }
      return undefined
    },
    { signal, sleepAsync: options.sleepAsync }
  )
}
