import { AppError } from '../../../shared/errors'
import { describeHostBody } from '../shared/host-error'
import { readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { refusalOf, submitWithRetriesAsync, type SubmitOutcome } from '../shared/submit-with-retries-async'
import { PromptAnswer } from './comfyui-answers'
import type { ComfyuiClient } from './comfyui-client'
import { comfyuiError } from './comfyui-error'
import { describeRefusal } from './describe-refusal'
import type { ApiGraph } from './workflow-template'

const PROVIDER = 'comfyui'
/**
 * What ComfyUI answers a POST /prompt whose `prompt_id` it already has (`{"error": "prompt_id already
 * exists"}`, docs/hosts.md, "ComfyUI"). Only the status is relied on: ComfyUI has no other 409 on
 * /prompt, and the body's wording is not a contract.
 */
const CONFLICT_STATUS = 409

function acceptedOf(client: ComfyuiClient, body: unknown, promptId: string): SubmitOutcome<string> {
  const parsed = PromptAnswer.safeParse(body)
  if (!parsed.success) {
    return {
      kind: 'ambiguous',
      error: new AppError('provider_error', undefined, {
        detail: 'comfyui /prompt answered 200 with a body that is not {prompt_id, number, node_errors}',
        cause: parsed.error
      })
    }
  }
  const accepted = parsed.data.prompt_id
  const { log } = client.deps
  if (accepted !== promptId && client.honorsPromptId !== false)
    log('provider.legacy_prompt_id', {
      provider: PROVIDER,
      detail: 'this ComfyUI ignores the prompt_id the relay chooses; ambiguous submits will not be retried'
    })
  client.honorsPromptId = accepted === promptId
  const nodeErrors = Object.keys(parsed.data.node_errors ?? {})
  if (nodeErrors.length > 0) log('provider.node_errors', { provider: PROVIDER, promptId: accepted, nodes: nodeErrors })
  return { kind: 'accepted', value: accepted }
}

/** One `POST /prompt` with the relay's own `prompt_id`, sorted by whether ComfyUI can have queued it. */
async function submitOnceAsync(
  client: ComfyuiClient,
  graph: ApiGraph,
  promptId: string,
  signal: AbortSignal
): Promise<SubmitOutcome<string>> {
  const answer = await client.postJsonAsync('/prompt', { prompt: graph, client_id: client.clientId, prompt_id: promptId }, signal)
  if (answer.kind === 'network') {
    const error = new AppError('provider_unavailable', undefined, { detail: `comfyui /prompt: ${answer.detail}`, cause: answer.error })
    return answer.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error }
  }
  const { response } = answer
  const text = await readTextAsync(response, signal)
  if (!text.ok)
    return {
      kind: 'ambiguous',
      error: new AppError('provider_unavailable', undefined, { detail: `comfyui /prompt: ${text.detail}`, cause: text.error })
    }
  const body = parseJson(text.text)
  if (response.status === 200) return acceptedOf(client, body, promptId)
  if (response.status === CONFLICT_STATUS) {
    // "prompt_id already exists": the id is ours (fresh per variant), so this is our prompt, queued
    // by an earlier attempt whose answer was lost. Only a build that keeps prompt_ids can say this.
    client.deps.log('provider.prompt_exists', { provider: PROVIDER, promptId, detail: describeHostBody(body, text.text) })
    client.honorsPromptId = true
    return { kind: 'accepted', value: promptId }
  }
  if (response.status === 400)
    return {
      kind: 'final',
      error: new AppError('provider_error', undefined, { detail: `comfyui refused the workflow: ${describeRefusal(body, text.text)}` })
    }
  const error = comfyuiError(response.status, describeHostBody(body, text.text))
  return refusalOf(response, error, client.deps.now()) ?? { kind: response.status >= 500 ? 'ambiguous' : 'final', error }
}

/** After an ambiguous submit: was it queued? `undefined` when the host cannot tell us. */
async function wasQueuedAsync(client: ComfyuiClient, promptId: string, signal: AbortSignal): Promise<boolean | undefined> {
  // /queue first, then /history: ComfyUI adds to history before it leaves the running list,
  // so a prompt not in the queue at one moment is in the history a moment later, if anywhere.
  const place = await client.queuePlaceAsync(promptId, signal)
  if (place === undefined) return undefined
  if (place !== 'absent') return true
  const history = await client.historyAsync(promptId, signal)
  if ('failed' in history) return undefined
  return history.entry !== null
}

/**
 * Queues the prompt once: because the relay chose the id, an ambiguous submit (reset, 5xx, garbled
 * answer) is resolved by looking for that id in `/queue` and `/history` before anything is sent
 * again. Returns the id ComfyUI runs it under (another one on builds that ignore the relay's).
 */
export async function submitPromptAsync(client: ComfyuiClient, graph: ApiGraph, promptId: string, signal: AbortSignal): Promise<string> {
  const { log } = client.deps
  return submitWithRetriesAsync<string>(client.deps, signal, {
    attemptAsync: async (attempt) => {
      log('provider.submit', { provider: PROVIDER, promptId, attempt })
      const outcome = await submitOnceAsync(client, graph, promptId, signal)
      if (outcome.kind !== 'accepted')
        log('provider.submit_failed', {
          provider: PROVIDER,
          promptId,
          attempt,
          kind: outcome.kind === 'ambiguous' ? 'uncertain' : outcome.kind,
          detail: outcome.error.detail
        })
      return outcome
    },
    recoverAsync: async () => {
      const queued = await wasQueuedAsync(client, promptId, signal)
      if (queued === true) {
        log('provider.recovered', { provider: PROVIDER, promptId })
        return { kind: 'found', value: promptId }
      }
      // Only a host known to keep our prompt_id can answer "not queued" truthfully.
      return queued === undefined || client.honorsPromptId !== true ? { kind: 'unknown' } : { kind: 'absent' }
    }
  })
}
