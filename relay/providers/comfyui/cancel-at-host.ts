import { QueueAnswer } from './comfyui-answers'
import type { ComfyuiClient } from './comfyui-client'

const PROVIDER = 'comfyui'
const CANCEL_TIMEOUT_MS = 5000
/** When to look again for a prompt whose submit was on the wire as the edit stopped. */
const IN_FLIGHT_RECHECK_MS = 1000

/** Drops our pending prompts, then interrupts the one of ours that runs. */
async function cancelPassAsync(client: ComfyuiClient, promptIds: readonly string[], signal: AbortSignal): Promise<void> {
  await client.postJsonAsync('/queue', { delete: promptIds }, signal)
  // Interrupt only what is ours and running: an older build ignores prompt_id and would stop
  // whatever runs, perhaps someone else's prompt.
  const answer = await client.getJsonAsync('/queue', signal)
  const queue = answer.ok ? QueueAnswer.safeParse(answer.body) : undefined
  if (queue?.success !== true) return
  for (const promptId of promptIds) {
    if (queue.data.queue_running.includes(promptId)) await client.postJsonAsync('/interrupt', { prompt_id: promptId }, signal)
  }
}

/**
 * Best effort, never awaited by the edit. A submit still on the wire when the edit stops may be
 * queued after the first pass, so those prompts (`inFlight`) get a second pass a moment later.
 */
export function cancelAtHost(client: ComfyuiClient, promptIds: readonly string[], inFlight: readonly string[]): void {
  if (promptIds.length === 0) return
  const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS)
  client.deps.log('provider.cancel', { provider: PROVIDER, promptIds })
  void (async () => {
    await cancelPassAsync(client, promptIds, signal)
    if (inFlight.length === 0) return
    await client.deps.sleepAsync(IN_FLIGHT_RECHECK_MS, signal)
    await cancelPassAsync(client, inFlight, signal)
  })().catch(() => undefined)
}
