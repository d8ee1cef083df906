import type { ProviderDeps } from '../provider'
import { hostFetchAsync, readTextAsync, type HostAnswer } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { HistoryEntry, QueueAnswer } from './comfyui-answers'

export type QueuePlace = 'running' | 'pending' | 'absent'

export type JsonRead = { ok: true; body: unknown } | { ok: false; reachedHost: boolean; detail: string; error?: unknown }

/** The history entry, or `null` while ComfyUI answers `{}`; `failed` when the answer was unusable. */
export type HistoryRead = { entry: HistoryEntry | null } | { failed: true; reachedHost: boolean; detail: string; error?: unknown }

/** One ComfyUI as the adapter talks to it: its plain JSON calls, and what one relay process has learnt of it. */
export interface ComfyuiClient {
  readonly deps: ProviderDeps
  readonly base: string
  /** The relay's websocket client id, sent with every prompt so its frames come to this relay. */
  readonly clientId: string
  /** Whether this ComfyUI keeps the `prompt_id` the relay sends (older builds make their own); learnt from its first answer. */
  honorsPromptId: boolean | undefined
  url(path: string): string
  getJsonAsync(path: string, signal: AbortSignal): Promise<JsonRead>
  postJsonAsync(path: string, body: unknown, signal: AbortSignal): Promise<HostAnswer>
  /** Where `/queue` lists the prompt; undefined when the answer was unusable. */
  queuePlaceAsync(promptId: string, signal: AbortSignal): Promise<QueuePlace | undefined>
  historyAsync(promptId: string, signal: AbortSignal): Promise<HistoryRead>
}

export function createComfyuiClient(base: string, clientId: string, deps: ProviderDeps): ComfyuiClient {
  const url = (path: string): string => `${base}${path}`

  async function getJsonAsync(path: string, signal: AbortSignal): Promise<JsonRead> {
    const answer = await hostFetchAsync(deps.fetch, url(path), { headers: { accept: 'application/json' } }, signal)
    if (answer.kind === 'network') return { ok: false, reachedHost: answer.reachedHost, detail: answer.detail, error: answer.error }
    const text = await readTextAsync(answer.response, signal)
    if (!text.ok) return { ok: false, reachedHost: true, detail: text.detail, error: text.error }
    if (!answer.response.ok)
      return { ok: false, reachedHost: true, detail: `${path} answered ${answer.response.status}: ${text.text.slice(0, 200)}` }
    const body = parseJson(text.text)
    return body === undefined
      ? { ok: false, reachedHost: true, detail: `${path} answered with a body that is not JSON` }
      : { ok: true, body }
  }

  async function queuePlaceAsync(promptId: string, signal: AbortSignal): Promise<QueuePlace | undefined> {
    const answer = await getJsonAsync('/queue', signal)
    if (!answer.ok) return undefined
    const queue = QueueAnswer.safeParse(answer.body)
    if (!queue.success) return undefined
    if (queue.data.queue_running.includes(promptId)) return 'running'
    if (queue.data.queue_pending.includes(promptId)) return 'pending'
    return 'absent'
  }

  async function historyAsync(promptId: string, signal: AbortSignal): Promise<HistoryRead> {
    const answer = await getJsonAsync(`/history/${encodeURIComponent(promptId)}`, signal)
    if (!answer.ok) return { failed: true, reachedHost: answer.reachedHost, detail: answer.detail, error: answer.error }
    if (answer.body === null || typeof answer.body !== 'object' || Array.isArray(answer.body))
      return { failed: true, reachedHost: true, detail: 'history answer is not an object' }
    const raw = (answer.body as Record<string, unknown>)[promptId]
    if (raw === undefined) return { entry: null }
    const entry = HistoryEntry.safeParse(raw)
    return entry.success
      ? { entry: entry.data }
      : { failed: true, reachedHost: true, detail: `history entry not as documented: ${entry.error.issues[0]?.message ?? ''}` }
  }

  return {
    deps,
    base,
    clientId,
    honorsPromptId: undefined,
    url,
    getJsonAsync,
    postJsonAsync: (path, body, signal) =>
      hostFetchAsync(
        deps.fetch,
        url(path),
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) },
        signal
      ),
    queuePlaceAsync,
    historyAsync
  }
}
