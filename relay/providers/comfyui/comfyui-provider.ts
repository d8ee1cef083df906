import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import * as z from 'zod'
import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { PROVIDERS, type ModelId } from '../../../shared/models'
import type { HostConfig } from '../../config'
import { ConfigError } from '../../config-error'
import defaultWorkflowFile from './kontext-dev-workflow.json'
import { createProgressSocket, websocketUrl, type ComfyEvent } from './progress-socket'
import { buildGraph, parseWorkflowTemplate, WorkflowError, type ApiGraph, type WorkflowTemplate } from './workflow'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderFactory, ProviderImage, ProviderProgress, ProviderResult, ReferenceImage } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * A self-hosted ComfyUI running FLUX.1 Kontext [dev] (docs/hosts.md, "ComfyUI"; the operator's
 * guide is docs/comfyui.md). No auth: ComfyUI is bound to localhost or a private network and the
 * relay sits in front of it.
 *
 * Flow per edit: `POST /upload/image` for each reference (named by a hash of its bytes, so a frame
 * edited again is not stored twice, and always referenced by the name ComfyUI returns); then per
 * variant a patched copy of the workflow goes to `POST /prompt` with a `prompt_id` the relay chose,
 * `GET /history/{prompt_id}` is polled until it is done, and the image comes from `GET /view`.
 * Because the relay chose the id, an ambiguous submit (reset, 5xx, garbled answer) is resolved by
 * looking for that id in `/queue` and `/history` before anything is sent again: a prompt never
 * runs twice. Builds that ignore a client's `prompt_id` are detected (the answer carries another
 * id); on those the relay never resubmits after an ambiguous failure. A build that refuses a
 * `prompt_id` it already has answers 409: that prompt is queued (the first submit got there after
 * all), so the relay follows it rather than failing an edit that is running.
 *
 * Progress: `GET /queue` says queued or running; ComfyUI's websocket (comfyui/progress-socket.ts),
 * where it works, adds the sampler's steps (`progress` value/max) and says when a prompt has ended,
 * which only makes the relay look at `/history` at once. The websocket is a nicety: whatever it
 * does, the edit follows `/history` as it would without it.
 */

const PROVIDER = 'comfyui'
/** Uploads are free and go to a machine next door: retry them soon. */
const UPLOAD_ATTEMPTS = 3
const UPLOAD_RETRY_MS = 250
const MAX_UNREACHABLE_POLLS = 3
/** Polls that find the prompt neither queued nor in history before the relay calls it lost. */
const MAX_MISSING_POLLS = 3
const DOWNLOAD_ATTEMPTS = 3
const DOWNLOAD_RETRY_MS = 500
const CANCEL_TIMEOUT_MS = 5000
/** When to look again for a prompt whose submit was on the wire as the edit stopped. */
const IN_FLIGHT_RECHECK_MS = 1000
/** How long an edit lets a websocket that is still opening catch up before it queues its prompts. */
const SOCKET_READY_MS = 2000
/** A variant counts as complete only once its image is here: the sampler's last step shows as 99 %. */
const MAX_UNFINISHED_FRACTION = 0.99
/**
 * What ComfyUI answers a POST /prompt whose `prompt_id` it already has (`{"error": "prompt_id already
 * exists"}`, docs/hosts.md, "ComfyUI"). Only the status is relied on: ComfyUI has no other 409 on
 * /prompt, and the body's wording is not a contract.
 */
const CONFLICT_STATUS = 409
const EXTENSIONS: Record<ReferenceImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

// ---------------------------------------------------------------------------------------------
// Host answers (docs/hosts.md, "ComfyUI")
// ---------------------------------------------------------------------------------------------

const UploadAnswer = z.object({ name: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('input') })

const PromptAnswer = z.object({ prompt_id: z.string().min(1), number: z.number().optional(), node_errors: z.record(z.string(), z.unknown()).optional() })

const PromptRefusal = z.object({
  error: z.union([
    z.object({ type: z.string().optional(), message: z.string().optional(), details: z.unknown().optional(), extra_info: z.unknown().optional() }),
    z.string()
  ]),
  node_errors: z.record(z.string(), z.unknown()).optional()
})

/** Queue items are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
const QueueItem = z.array(z.unknown()).transform((item) => (typeof item[1] === 'string' ? item[1] : undefined))
const QueueAnswer = z.object({ queue_running: z.array(QueueItem), queue_pending: z.array(QueueItem) })

const OutputImage = z.object({ filename: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('output') })
/**
 * execution.py `task_done` stores `status: null` when it is called without a status (ComfyUI's own
 * prompt_worker always passes one; other callers of the queue need not): the entry still holds the
 * prompt's outputs, so the image decides, as for an entry with no status at all.
 */
const HistoryEntry = z.object({
  outputs: z.record(z.string(), z.object({ images: z.array(OutputImage).optional() }).loose()).default({}),
  status: z
    .object({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.unknown()]).rest(z.unknown())).default([])
    })
    .nullish()
})
type HistoryEntry = z.infer<typeof HistoryEntry>

const ExecutionError = z.object({
  node_id: z.unknown().optional(),
  node_type: z.string().optional(),
  exception_type: z.string().optional(),
  exception_message: z.string().optional()
})

// ---------------------------------------------------------------------------------------------
// The workflow, loaded once at startup
// ---------------------------------------------------------------------------------------------

function maxReferencesOf(host: HostConfig): number {
  const offers = Object.entries(PROVIDERS.comfyui.offers) as Array<[ModelId, { maxReferences: number }]>
  return Math.max(1, ...offers.map(([model, offer]) => host.offerOverrides[model]?.maxReferences ?? offer.maxReferences))
}

/** The operator's workflow file, or the shipped one; a bad file stops the relay with the reason. */
export function loadWorkflow(host: HostConfig): { template: WorkflowTemplate; source: string } {
  const file = host.settings.COMFYUI_WORKFLOW_FILE
  const maxReferences = maxReferencesOf(host)
  if (file === undefined) return { template: parseWorkflowTemplate(defaultWorkflowFile, maxReferences), source: 'built-in kontext-dev-workflow.json' }
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(`COMFYUI_WORKFLOW_FILE: cannot read ${path}${code === undefined ? '' : ` (${code})`}. Point it at a workflow file as described in docs/comfyui.md.`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`COMFYUI_WORKFLOW_FILE: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`)
  }
  try {
    return { template: parseWorkflowTemplate(json, maxReferences), source: path }
  } catch (error) {
    if (!(error instanceof WorkflowError)) throw error
    throw new ConfigError(`COMFYUI_WORKFLOW_FILE: ${path} is not a usable workflow file: ${error.message}. See docs/comfyui.md for the format.`)
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function uploadNameAsync(reference: ReferenceImage): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(reference.bytes)))
  const hex = Array.from(digest.subarray(0, 12), (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `kontext-edit-${hex}.${EXTENSIONS[reference.contentType]}`
}

/** A random seed from the injected UUID source (uint32). */
function randomSeed(deps: ProviderDeps): number {
  return Number.parseInt(deps.randomUUID().replace(/-/g, '').slice(0, 8), 16)
}

/** ComfyUI has no keys: a 401/403 comes from a proxy in front of it (or its own origin check). */
function comfyError(status: number, detail: string): AppError {
  const code = codeForStatus(status)
  if (code !== 'provider_not_configured') return hostError('ComfyUI', status, code, detail)
  return new AppError(code, 'The relay’s ComfyUI refused its requests. Ask whoever runs the relay to check COMFYUI_URL and any proxy in front of ComfyUI.', {
    detail: `ComfyUI ${status}: ${detail}`
  })
}

function describeRefusal(body: unknown, text: string): string {
  const refusal = PromptRefusal.safeParse(body)
  if (!refusal.success) return describeHostBody(body, text)
  const { error, node_errors: nodeErrors } = refusal.data
  const head = typeof error === 'string' ? error : `${error.type ?? 'error'}: ${error.message ?? ''}${typeof error.details === 'string' && error.details !== '' ? ` (${error.details})` : ''}`
  const nodes = Object.entries(nodeErrors ?? {}).map(([id, value]) => {
    const errors = (value as { errors?: Array<{ type?: string; details?: string }> }).errors ?? []
    return `node ${id}: ${errors.map((item) => `${item.type ?? '?'} ${item.details ?? ''}`.trim()).join(', ')}`
  })
  return [head, ...nodes].join('; ').slice(0, 600)
}

function executionFailure(entry: HistoryEntry, promptId: string): AppError {
  const messages = entry.status?.messages ?? []
  const failed = messages.find(([event]) => event === 'execution_error')
  if (failed !== undefined) {
    const data = ExecutionError.safeParse(failed[1])
    const info = data.success ? data.data : {}
    const text = `${info.node_type ?? 'node'} ${String(info.node_id ?? '')}: ${info.exception_type ?? ''}: ${info.exception_message ?? ''}`.slice(0, 500)
    // Out of GPU memory is the machine being busy, not the request being wrong.
    const code: RelayErrorCode = /OutOfMemory|out of memory/i.test(`${info.exception_type} ${info.exception_message}`) ? 'provider_unavailable' : 'provider_error'
    return new AppError(code, undefined, { detail: `comfyui prompt ${promptId} failed in ${text}` })
  }
  if (messages.some(([event]) => event === 'execution_interrupted')) {
    return new AppError('provider_unavailable', undefined, { detail: `comfyui prompt ${promptId} was interrupted at the host` })
  }
  return new AppError('provider_error', undefined, { detail: `comfyui prompt ${promptId} ended with status ${entry.status?.status_str ?? 'unknown'}` })
}

type QueuePlace = 'running' | 'pending' | 'absent'
type VariantPlace = 'submitting' | 'pending' | 'running' | 'done'
const PLACE_ORDER: Record<VariantPlace, number> = { submitting: 0, pending: 1, running: 2, done: 3 }

/**
 * Lets the websocket cut a poll's wait short: `nudge` (the prompt has ended) ends the current sleep,
 * or the next one when none is under way, so `/history` is read at once. It never ends a wait with
 * an error, and the signal's abort still does.
 */
class PollNudge {
  private pending = false
  private wake: (() => void) | undefined

  nudge(): void {
    if (this.wake === undefined) this.pending = true
    else this.wake()
  }

  sleeper(sleepAsync: ProviderDeps['sleepAsync']): ProviderDeps['sleepAsync'] {
    return async (ms, signal) => {
      if (this.pending) {
        this.pending = false
        return
      }
      const early = new AbortController()
      this.wake = () => early.abort()
      try {
        await sleepAsync(ms, AbortSignal.any([signal, early.signal]))
      } catch (error) {
        if (signal.aborted || !early.signal.aborted) throw error
      } finally {
        this.wake = undefined
      }
    }
  }
}

type Submitted = { kind: 'accepted'; promptId: string }
type SubmitOutcome =
  | Submitted
  /** The host cannot have queued it: safe to send again. */
  | { kind: 'refused'; error: AppError; retryAfterMs: number | undefined }
  /** It may have been queued. */
  | { kind: 'uncertain'; error: AppError }

// ---------------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------------

export const createComfyuiProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps): Provider => {
  const { template, source } = loadWorkflow(host)
  const base = host.url
  const clientId = deps.randomUUID()
  const progressSocket = createProgressSocket({ url: websocketUrl(base, clientId), provider: PROVIDER, log: deps.log, sleepAsync: deps.sleepAsync })
  /** Whether this ComfyUI keeps the `prompt_id` the relay sends (older builds make their own). */
  let honorsPromptId: boolean | undefined
  deps.log('provider.ready', { provider: PROVIDER, workflow: source, referenceSlots: template.images.length })

  const url = (path: string): string => `${base}${path}`

  async function getJsonAsync(path: string, signal: AbortSignal): Promise<{ ok: true; body: unknown } | { ok: false; reachedHost: boolean; detail: string }> {
    const answer = await hostFetchAsync(deps.fetch, url(path), { headers: { accept: 'application/json' } }, signal)
    if (answer.kind === 'network') return { ok: false, reachedHost: answer.reachedHost, detail: answer.detail }
    const text = await readTextAsync(answer.response, signal)
    if (!text.ok) return { ok: false, reachedHost: true, detail: text.detail }
    if (!answer.response.ok) return { ok: false, reachedHost: true, detail: `${path} answered ${answer.response.status}: ${text.text.slice(0, 200)}` }
    const body = parseJson(text.text)
    return body === undefined ? { ok: false, reachedHost: true, detail: `${path} answered with a body that is not JSON` } : { ok: true, body }
  }

  async function postJsonAsync(path: string, body: unknown, signal: AbortSignal) {
    return hostFetchAsync(deps.fetch, url(path), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }, signal)
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

  /** The history entry, or `null` while ComfyUI answers `{}`; `failed` when the answer was unusable. */
  async function historyAsync(promptId: string, signal: AbortSignal): Promise<{ entry: HistoryEntry | null } | { failed: true; reachedHost: boolean; detail: string }> {
    const answer = await getJsonAsync(`/history/${encodeURIComponent(promptId)}`, signal)
    if (!answer.ok) return { failed: true, reachedHost: answer.reachedHost, detail: answer.detail }
    if (answer.body === null || typeof answer.body !== 'object' || Array.isArray(answer.body)) return { failed: true, reachedHost: true, detail: 'history answer is not an object' }
    const raw = (answer.body as Record<string, unknown>)[promptId]
    if (raw === undefined) return { entry: null }
    const entry = HistoryEntry.safeParse(raw)
    return entry.success ? { entry: entry.data } : { failed: true, reachedHost: true, detail: `history entry not as documented: ${entry.error.issues[0]?.message ?? ''}` }
  }

  // --- uploads --------------------------------------------------------------------------------

  async function uploadAsync(reference: ReferenceImage, signal: AbortSignal): Promise<string> {
    const filename = await uploadNameAsync(reference)
    let lastError: AppError | undefined
    for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt += 1) {
      if (attempt > 1) await deps.sleepAsync(UPLOAD_RETRY_MS * 2 ** (attempt - 2), signal)
      const form = new FormData()
      form.append('image', new Blob([new Uint8Array(reference.bytes)], { type: reference.contentType }), filename)
      form.append('type', 'input')
      form.append('overwrite', 'false')
      const answer = await hostFetchAsync(deps.fetch, url('/upload/image'), { method: 'POST', body: form, headers: { accept: 'application/json' } }, signal)
      if (answer.kind === 'network') {
        lastError = new AppError('provider_unavailable', undefined, { detail: `comfyui upload: ${answer.detail}` })
        continue
      }
      const text = await readTextAsync(answer.response, signal)
      const status = answer.response.status
      if (!text.ok) {
        lastError = new AppError('provider_unavailable', undefined, { detail: `comfyui upload: ${text.detail}` })
        continue
      }
      if (status === 200) {
        const parsed = UploadAnswer.safeParse(parseJson(text.text))
        if (parsed.success) {
          // ComfyUI renames on a clash ("name (1).png"): the returned name is the one to load.
          const { name, subfolder } = parsed.data
          return subfolder === '' ? name : `${subfolder}/${name}`
        }
        lastError = new AppError('provider_error', undefined, { detail: 'comfyui upload answered 200 with a body that is not {name, subfolder, type}' })
        continue
      }
      const error = comfyError(status, status === 413 ? 'the reference is over ComfyUI’s --max-upload-size' : describeHostBody(parseJson(text.text), text.text) || 'upload refused')
      // Uploads cost nothing and the name is fixed by the bytes: a retry can only overwrite with the same image.
      if (status !== 429 && status < 500) throw error
      lastError = error
    }
    throw lastError!
  }

  // --- submit ---------------------------------------------------------------------------------

  async function submitOnceAsync(graph: ApiGraph, promptId: string, signal: AbortSignal): Promise<SubmitOutcome> {
    const answer = await postJsonAsync('/prompt', { prompt: graph, client_id: clientId, prompt_id: promptId }, signal)
    if (answer.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, { detail: `comfyui /prompt: ${answer.detail}` })
      return answer.reachedHost ? { kind: 'uncertain', error } : { kind: 'refused', error, retryAfterMs: undefined }
    }
    const { response } = answer
    const text = await readTextAsync(response, signal)
    if (!text.ok) return { kind: 'uncertain', error: new AppError('provider_unavailable', undefined, { detail: `comfyui /prompt: ${text.detail}` }) }
    const body = parseJson(text.text)
    if (response.status === 200) {
      const parsed = PromptAnswer.safeParse(body)
      if (!parsed.success) return { kind: 'uncertain', error: new AppError('provider_error', undefined, { detail: 'comfyui /prompt answered 200 with a body that is not {prompt_id, number, node_errors}' }) }
      const accepted = parsed.data.prompt_id
      if (accepted !== promptId && honorsPromptId !== false) deps.log('provider.legacy_prompt_id', { provider: PROVIDER, detail: 'this ComfyUI ignores the prompt_id the relay chooses; ambiguous submits will not be retried' })
      honorsPromptId = accepted === promptId
      const nodeErrors = Object.keys(parsed.data.node_errors ?? {})
      if (nodeErrors.length > 0) deps.log('provider.node_errors', { provider: PROVIDER, promptId: accepted, nodes: nodeErrors })
      return { kind: 'accepted', promptId: accepted }
    }
    if (response.status === CONFLICT_STATUS) {
      // "prompt_id already exists": the id is ours (fresh per variant), so this is our prompt, queued
      // by an earlier attempt whose answer was lost. Only a build that keeps prompt_ids can say this.
      deps.log('provider.prompt_exists', { provider: PROVIDER, promptId, detail: describeHostBody(body, text.text) })
      honorsPromptId = true
      return { kind: 'accepted', promptId }
    }
    const retryAfterMs = retryAfterMsOf(response, deps.now())
    if (response.status === 400) {
      throw new AppError('provider_error', undefined, { detail: `comfyui refused the workflow: ${describeRefusal(body, text.text)}` })
    }
    const error = comfyError(response.status, describeHostBody(body, text.text))
    if (response.status === 429 || response.status === 503) return { kind: 'refused', error, retryAfterMs }
    if (response.status >= 500) return { kind: 'uncertain', error }
    throw error
  }

  /** After an ambiguous submit: was it queued? `undefined` when the host cannot tell us. */
  async function wasQueuedAsync(promptId: string, signal: AbortSignal): Promise<boolean | undefined> {
    // /queue first, then /history: ComfyUI adds to history before it leaves the running list,
    // so a prompt not in the queue at one moment is in the history a moment later, if anywhere.
    const place = await queuePlaceAsync(promptId, signal)
    if (place === undefined) return undefined
    if (place !== 'absent') return true
    const history = await historyAsync(promptId, signal)
    if ('failed' in history) return undefined
    return history.entry !== null
  }

  async function submitAsync(graph: ApiGraph, promptId: string, signal: AbortSignal): Promise<string> {
    return submitWithRetriesAsync<string>(deps, signal, {
      attemptAsync: async (attempt) => {
        deps.log('provider.submit', { provider: PROVIDER, promptId, attempt })
        const outcome = await submitOnceAsync(graph, promptId, signal)
        if (outcome.kind === 'accepted') return { kind: 'accepted', value: outcome.promptId }
        deps.log('provider.submit_failed', { provider: PROVIDER, promptId, attempt, kind: outcome.kind, detail: outcome.error.detail })
        return outcome.kind === 'uncertain' ? { kind: 'ambiguous', error: outcome.error } : outcome
      },
      recoverAsync: async () => {
        const queued = await wasQueuedAsync(promptId, signal)
        if (queued === true) {
          deps.log('provider.recovered', { provider: PROVIDER, promptId })
          return { kind: 'found', value: promptId }
        }
        // Only a host known to keep our prompt_id can answer "not queued" truthfully.
        return queued === undefined || honorsPromptId !== true ? { kind: 'unknown' } : { kind: 'absent' }
      }
    })
  }

  // --- follow ---------------------------------------------------------------------------------

  async function followAsync(promptId: string, signal: AbortSignal, onPlace: (place: 'pending' | 'running') => void, sleepAsync: ProviderDeps['sleepAsync']): Promise<HistoryEntry> {
    let unreachable = 0
    let missing = 0
    return pollAsync(
      async () => {
        const history = await historyAsync(promptId, signal)
        if ('failed' in history) {
          unreachable = history.reachedHost ? 0 : unreachable + 1
          deps.log('provider.poll_failed', { provider: PROVIDER, promptId, detail: history.detail })
          if (unreachable >= MAX_UNREACHABLE_POLLS) throw new AppError('provider_unavailable', undefined, { detail: `comfyui unreachable while waiting: ${history.detail}` })
          return undefined
        }
        unreachable = 0
        if (history.entry !== null) return history.entry
        const place = await queuePlaceAsync(promptId, signal)
        if (place === 'pending' || place === 'running') {
          missing = 0
          onPlace(place)
        } else if (place === 'absent') {
          // It may have finished between the two calls; only a second empty history means lost.
          const again = await historyAsync(promptId, signal)
          if (!('failed' in again) && again.entry !== null) return again.entry
          missing += 1
          if (missing >= MAX_MISSING_POLLS) throw new AppError('provider_error', undefined, { detail: `comfyui prompt ${promptId} left the queue without a history entry (deleted at the host?)` })
        }
        return undefined
      },
      { signal, sleepAsync }
    )
  }

  async function downloadAsync(entry: HistoryEntry, promptId: string, signal: AbortSignal): Promise<Uint8Array> {
    const image = entry.outputs[template.save]?.images?.[0]
    if (image === undefined) throw new AppError('provider_error', undefined, { detail: `comfyui prompt ${promptId} finished without an image from node ${template.save}` })
    const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type })
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await downloadResultAsync(url(`/view?${query.toString()}`), { fetch: deps.fetch, signal, hostBaseUrl: base })
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'provider_unavailable' || attempt >= DOWNLOAD_ATTEMPTS) throw error
        await deps.sleepAsync(DOWNLOAD_RETRY_MS, signal)
      }
    }
  }

  // --- cancel ---------------------------------------------------------------------------------

  /** Drops our pending prompts, then interrupts the one of ours that runs. */
  async function cancelPassAsync(promptIds: readonly string[], signal: AbortSignal): Promise<void> {
    await postJsonAsync('/queue', { delete: promptIds }, signal)
    // Interrupt only what is ours and running: an older build ignores prompt_id and would stop
    // whatever runs, perhaps someone else's prompt.
    const answer = await getJsonAsync('/queue', signal)
    const queue = answer.ok ? QueueAnswer.safeParse(answer.body) : undefined
    if (queue?.success !== true) return
    for (const promptId of promptIds) {
      if (queue.data.queue_running.includes(promptId)) await postJsonAsync('/interrupt', { prompt_id: promptId }, signal)
    }
  }

  /**
   * Best effort, never awaited by the edit. A submit still on the wire when the edit stops may be
   * queued after the first pass, so those prompts get a second pass a moment later.
   */
  function cancelAtHost(promptIds: readonly string[], inFlight: readonly string[]): void {
    if (promptIds.length === 0) return
    const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS)
    deps.log('provider.cancel', { provider: PROVIDER, promptIds })
    void (async () => {
      await cancelPassAsync(promptIds, signal)
      if (inFlight.length === 0) return
      await deps.sleepAsync(IN_FLIGHT_RECHECK_MS, signal)
      await cancelPassAsync(inFlight, signal)
    })().catch(() => undefined)
  }

  // --- the edit -------------------------------------------------------------------------------

  async function editAsync(input: ProviderEditInput): Promise<ProviderResult> {
    const { request, offer } = input
    const local = new AbortController()
    const signal = AbortSignal.any([input.signal, local.signal])
    const started: string[] = []
    const submitting = new Set<string>()

    const count = request.numImages
    const places: VariantPlace[] = Array.from({ length: count }, () => 'submitting')
    /** Per variant, the furthest step the websocket reported (value/max); undefined without one. */
    const fractions: Array<number | undefined> = places.map(() => undefined)
    let reported = ''
    const report = (): void => {
      const done = places.filter((place) => place === 'done').length
      let progress: ProviderProgress = { status: 'queued' }
      if (done > 0 || places.includes('running')) {
        // A running variant counts for its steps, a finished one for 1. One variant with no step
        // reported (no websocket, or not sampling yet) is running, with no fraction to show.
        const sum = places.reduce((total, place, index) => total + (place === 'done' ? 1 : place === 'running' ? Math.min(fractions[index] ?? 0, MAX_UNFINISHED_FRACTION) : 0), 0)
        const known = count > 1 || fractions.some((fraction) => fraction !== undefined)
        // Whole percents: no more job updates than the panel can show.
        progress = known ? { status: 'running', fraction: Math.floor((sum / count) * 100 + 1e-9) / 100 } : { status: 'running' }
      }
      const key = JSON.stringify(progress)
      if (key !== reported) {
        reported = key
        input.onProgress(progress)
      }
    }
    /** Places only move forward: a late `/queue` answer cannot undo what the websocket said. */
    const advance = (index: number, place: VariantPlace): void => {
      if (PLACE_ORDER[place] <= PLACE_ORDER[places[index]!]) return
      places[index] = place
      report()
    }

    /** This edit's prompt ids (the relay's, and the host's own on an older build) → variant. */
    const ours = new Map<string, { index: number; nudge: PollNudge }>()
    const onEvent = (event: ComfyEvent): void => {
      const variant = ours.get(event.promptId)
      if (variant === undefined || places[variant.index] === 'done') return
      if (event.kind === 'ended') {
        // Only a hint: what happened is read from /history, now rather than after the poll's wait.
        variant.nudge.nudge()
        return
      }
      if (event.kind === 'progress') fractions[variant.index] = Math.max(fractions[variant.index] ?? 0, event.value / event.max)
      if (places[variant.index] === 'running') report()
      else advance(variant.index, 'running')
    }
    const stopListening = progressSocket.listen(onEvent)
    const onAbort = (): void => {
      stopListening()
      cancelAtHost([...started], [...submitting])
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      // The socket opens alongside the uploads, so it hears the prompts from their first frame.
      const [names] = await Promise.all([Promise.all(input.references.map((reference) => uploadAsync(reference, signal))), progressSocket.readyAsync(SOCKET_READY_MS, signal)])
      deps.log('provider.uploaded', { provider: PROVIDER, references: names.length })

      const firstSeed = request.seed ?? randomSeed(deps)
      const seeds = Array.from({ length: count }, (_, index) => (firstSeed + index) % (offer.seedMax + 1))

      const runVariantAsync = async (seed: number, index: number): Promise<{ image: ProviderImage; promptId: string }> => {
        const graph = buildGraph(template, {
          prompt: request.prompt,
          images: names,
          seed,
          steps: request.steps ?? offer.steps?.default,
          guidance: request.guidance ?? offer.guidance?.default,
          size: { width: input.size.width, height: input.size.height }
        })
        const chosen = deps.randomUUID()
        const nudge = new PollNudge()
        // Before the submit: ComfyUI may start it before its answer arrives.
        ours.set(chosen, { index, nudge })
        started.push(chosen)
        submitting.add(chosen)
        const promptId = await submitAsync(graph, chosen, signal).finally(() => submitting.delete(chosen))
        if (promptId !== chosen) {
          started.push(promptId)
          ours.set(promptId, { index, nudge })
        }
        advance(index, 'pending')
        const entry = await followAsync(promptId, signal, (place) => advance(index, place), nudge.sleeper(deps.sleepAsync))
        if (entry.status?.status_str === 'error') throw executionFailure(entry, promptId)
        const bytes = await downloadAsync(entry, promptId, signal)
        advance(index, 'done')
        deps.log('provider.done', { provider: PROVIDER, promptId })
        return { image: { bytes, seed }, promptId }
      }

      const results = await Promise.all(
        seeds.map((seed, index) =>
          runVariantAsync(seed, index).catch((error: unknown) => {
            // One variant failed: stop the others at the host too.
            if (!local.signal.aborted) local.abort(error)
            throw error
          })
        )
      )
      return { images: results.map((result) => result.image), costUsd: undefined, hostJobId: results.map((result) => result.promptId).join(',') }
    } catch (error) {
      if (input.signal.aborted) throw input.signal.reason
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
      stopListening()
    }
  }

  return { id: 'comfyui', editAsync }
}
