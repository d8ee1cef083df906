import * as z from 'zod'
import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../../shared/errors'
import type { OutputFormat } from '../../../shared/relay-api'
import { base64ToBytes, bytesToBase64 } from '../../images/base64'
import { base64Length, writeBase64Into } from '../../images/write-base64-into'
import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderImage, ProviderResult } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * Runware's REST API (docs/hosts.md, "Runware"): one POST of a JSON task array, Bearer auth. The
 * relay asks for base64 output, so a sync answer carries the bytes in one round trip. Long jobs (several
 * variants, or a model with `steps`, i.e. Kontext [dev]) use `deliveryMethod: "async"` and poll
 * `getResponse`; RUNWARE_DELIVERY=async makes every job async.
 *
 * Runware lets the client choose the taskUUID and `getResponse` answers for a task by that UUID,
 * so after an ambiguous failure (a 5xx, a reset after sending, a garbled answer) the adapter asks
 * before it submits again: a task is never paid for twice, in sync or async mode. Should Runware
 * already have the task when it is sent again (a poll that did not see it yet), it answers
 * `conflictTaskUUID` and bills nothing; the task runs and is billed all the same, so the adapter
 * follows it with `getResponse` as Runware's Python SDK does (Runware/sdk-python `runware/base.py`,
 * `_retry_with_reconnect`), instead of failing an edit that is being paid for.
 *
 * What goes on the wire is read from the offer, never from the model id: `safetyTolerance` /
 * `promptUpsampling` → `providerSettings.bfl`, `steps` → `steps`, `guidance` → `CFGScale`,
 * `outputQuality` → `outputQuality`.
 */

const OUTPUT_FORMATS: Record<OutputFormat, 'PNG' | 'JPG' | 'WEBP'> = { png: 'PNG', jpeg: 'JPG', webp: 'WEBP' }

/** Runware's docs advise a first delay before polling an async task (docs/hosts.md, "Runware"). */
const ASYNC_FIRST_POLL_MS = 500
/** Consecutive polls that could not reach Runware at all before the adapter stops asking. */
const MAX_UNREACHABLE_POLLS = 4

const RunwareErrorItem = z.object({
  code: z.string().catch('unknown'),
  message: z.string().optional().catch(undefined),
  parameter: z.unknown().optional()
})
type RunwareErrorItem = z.infer<typeof RunwareErrorItem>

const RunwareItem = z.object({
  taskUUID: z.string(),
  status: z.enum(['processing', 'success', 'error']).optional(),
  imageBase64Data: z.string().optional(),
  imageDataURI: z.string().optional(),
  imageURL: z.string().optional(),
  mediaURL: z.string().optional(),
  seed: z.number().int().nonnegative().optional().catch(undefined),
  cost: z.number().nonnegative().optional().catch(undefined),
  NSFWContent: z.boolean().optional(),
  error: RunwareErrorItem.optional()
})
type RunwareItem = z.infer<typeof RunwareItem>

const RunwareEnvelope = z.object({
  data: z.array(RunwareItem).optional(),
  errors: z.array(RunwareErrorItem).optional()
})
type RunwareEnvelope = z.infer<typeof RunwareEnvelope>

/** Runware's safety codes (Runware/runware-typescript `src/errors.ts`; docs/hosts.md, "Runware"). */
const SAFETY_CODES = new Set([
  'contentPolicyViolation',
  'providerContentPolicyViolation',
  'sensitiveContentDetected',
  'unsafeContentDetected',
  'nsfwContentDetected',
  'promptBlocked',
  'imageBlocked',
  'moderationFailed'
])

/** First match wins. Groups follow Runware/runware-typescript `src/errors.ts`'s classification of Runware's codes. */
const ERROR_RULES: ReadonlyArray<{ match: (code: string, status: number) => boolean; relay: RelayErrorCode; message?: string }> = [
  { match: (code) => SAFETY_CODES.has(code), relay: 'moderated' },
  { match: (code, status) => status === 402 || /Credits|Quota|Balance|paymentRequired/i.test(code), relay: 'insufficient_credit' },
  {
    match: (code, status) => status === 401 || status === 403 || /ApiKey/.test(code),
    relay: 'provider_not_configured',
    message: 'Runware refused the relay’s API key. Ask whoever runs the relay to check RUNWARE_API_KEY.'
  },
  { match: (code, status) => status === 429 || /RateLimit/.test(code), relay: 'rate_limited' },
  { match: (code, status) => status === 504 || /Timeout/.test(code), relay: 'timeout' },
  {
    match: (code, status) => status >= 500 || /^provider|inferenceError|taskFailed|noAvailableServer/.test(code),
    relay: 'provider_unavailable'
  },
  { match: () => true, relay: 'provider_error' }
]

function toAppError(status: number, error: RunwareErrorItem | undefined): AppError {
  const code = error?.code ?? `http_${status}`
  const rule = ERROR_RULES.find((candidate) => candidate.match(code, status))!
  return new AppError(rule.relay, rule.message ?? ERROR_MESSAGES[rule.relay], {
    detail: `runware ${status} ${code}: ${error?.message ?? ''}`.trim()
  })
}

export type RunwareDelivery = 'sync' | 'async'

/** One imageInference task: an edit makes one, or several when the offer caps variants per call. */
export interface RunwareCall {
  taskUUID: string
  numberResults: number
  seed: number | undefined
  delivery: RunwareDelivery
}

/** The task's fields before and after `inputs`, so the body can be built around the reference bytes. */
function runwareTaskFields(input: ProviderEditInput, call: RunwareCall): { head: Record<string, unknown>; tail: Record<string, unknown> } {
  const { request, size, offer } = input
  const head: Record<string, unknown> = {
    taskType: 'imageInference',
    taskUUID: call.taskUUID,
    model: offer.hostModelId,
    positivePrompt: request.prompt
  }
  const tail: Record<string, unknown> = {
    width: size.width,
    height: size.height,
    numberResults: call.numberResults,
    outputType: 'base64Data',
    outputFormat: OUTPUT_FORMATS[request.outputFormat],
    includeCost: true
  }
  if (call.delivery === 'async') tail.deliveryMethod = 'async'
  if (call.seed !== undefined) tail.seed = call.seed
  if (offer.outputQuality !== null && request.outputQuality !== undefined) tail.outputQuality = request.outputQuality
  if (offer.steps !== null) tail.steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) tail.CFGScale = request.guidance ?? offer.guidance.default
  // providerSettings.bfl exists only for BFL's own models (pro/max): the offer says so by having the settings.
  const bfl: Record<string, unknown> = {}
  if (offer.promptUpsampling) bfl.promptUpsampling = request.promptUpsampling ?? false
  if (offer.safetyTolerance !== null) bfl.safetyTolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (Object.keys(bfl).length > 0) tail.providerSettings = { bfl }
  return { head, tail }
}

/** The task as an object (references as data URIs): what `buildRunwareBody` encodes, for tests and logs. */
export function buildRunwareTask(input: ProviderEditInput, call: RunwareCall): Record<string, unknown> {
  const { head, tail } = runwareTaskFields(input, call)
  const referenceImages = input.references.map((ref) => `data:${ref.contentType};base64,${bytesToBase64(ref.bytes)}`)
  return { ...head, inputs: { referenceImages }, ...tail }
}

/**
 * The POST body `[task]` as UTF-8 bytes, the same bytes as `JSON.stringify([buildRunwareTask(…)])`,
 * but with each reference's base64 written straight from its bytes into one buffer: a string of
 * the body (and fetch's UTF-8 copy of it) cost 2.7× the reference per edit (test/campaign/inflight-memory.test.ts).
 * Base64 and a `data:<type>;base64,` prefix need no JSON escaping; the content type is escaped all the same.
 */
export function buildRunwareBody(input: ProviderEditInput, call: RunwareCall): Uint8Array<ArrayBuffer> {
  const { head, tail } = runwareTaskFields(input, call)
  const encoder = new TextEncoder()
  const before = encoder.encode(`[${JSON.stringify(head).slice(0, -1)},"inputs":{"referenceImages":[`)
  const after = encoder.encode(`]},${JSON.stringify(tail).slice(1)}]`)
  const prefixes = input.references.map((ref) => encoder.encode(JSON.stringify(`data:${ref.contentType};base64,`).slice(0, -1)))
  let length = before.byteLength + after.byteLength
  input.references.forEach((ref, index) => (length += prefixes[index]!.byteLength + base64Length(ref.bytes.byteLength) + 1 + (index > 0 ? 1 : 0)))
  const body = new Uint8Array(length)
  body.set(before, 0)
  let at = before.byteLength
  input.references.forEach((ref, index) => {
    if (index > 0) at = writeAscii(body, at, ',')
    body.set(prefixes[index]!, at)
    at = writeBase64Into(ref.bytes, body, at + prefixes[index]!.byteLength)
    at = writeAscii(body, at, '"')
  })
  body.set(after, at)
  return body
}

function writeAscii(target: Uint8Array, at: number, char: string): number {
  target[at] = char.charCodeAt(0)
  return at + 1
}

/** Whether an edit goes async: several variants, a stepped model, or the operator's setting. */
export function chooseDelivery(input: ProviderEditInput, setting: string | undefined): RunwareDelivery {
  return setting === 'async' || input.request.numImages > 1 || input.offer.steps !== null ? 'async' : 'sync'
}

/**
 * Runware's answer to a taskUUID it already has. The code is what Runware/sdk-python
 * `runware/base.py` matches; no status is documented, so any status carrying it counts.
 */
const CONFLICT_CODE = 'conflictTaskUUID'

/**
 * How one POST went. `refused`: Runware cannot have accepted it; `uncertain`: it may have;
 * `conflict`: Runware has a task with this UUID (ours: the relay makes a fresh UUID per task).
 */
type Answer =
  | { kind: 'ok'; envelope: RunwareEnvelope }
  | { kind: 'conflict'; error: AppError }
  | { kind: 'refused'; error: AppError; retryAfterMs: number | undefined }
  | { kind: 'unreached'; error: AppError }
  | { kind: 'uncertain'; error: AppError; network: boolean; retryAfterMs?: number | undefined }

/** What a finished task left: the items that succeeded (possibly fewer than asked, see followAsync). */
interface Finished {
  items: RunwareItem[]
}

export function createRunwareProvider(host: HostConfig, deps: ProviderDeps): Provider {
  const apiUrl = host.url
  const apiKey = host.key ?? ''

  function log(event: string, fields: Record<string, unknown>): void {
    deps.log(event, { provider: 'runware', ...fields })
  }

  /** One POST. Throws (a relay AppError) only for a final answer; everything retryable is returned. */
  async function postAsync(payload: string | Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<Answer> {
    const answer = await hostFetchAsync(
      deps.fetch,
      apiUrl,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: payload
      },
      signal
    )
    if (answer.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, { detail: `runware ${answer.detail}` })
      return answer.reachedHost ? { kind: 'uncertain', error, network: true } : { kind: 'unreached', error }
    }
    const { response } = answer
    const body = await readTextAsync(response, signal)
    if (!body.ok) {
      return { kind: 'uncertain', network: false, error: new AppError('provider_unavailable', undefined, { detail: `runware ${response.status} ${body.detail}` }) }
    }
    const parsed = RunwareEnvelope.safeParse(parseJson(body.text))
    const envelope = parsed.success ? parsed.data : undefined
    const firstError = envelope?.errors?.[0]
    if (response.ok && envelope !== undefined && firstError === undefined) return { kind: 'ok', envelope }
    const conflict = envelope?.errors?.find((item) => item.code === CONFLICT_CODE)
    if (conflict !== undefined) return { kind: 'conflict', error: toAppError(response.status, conflict) }
    const retryAfterMs = retryAfterMsOf(response, deps.now())
    if (response.status === 429 || response.status === 503 || /RateLimit/.test(firstError?.code ?? '')) {
      return { kind: 'refused', error: toAppError(response.status, firstError), retryAfterMs }
    }
    if (envelope === undefined && (response.ok || response.status >= 500)) {
      // A garbled 2xx, or a proxy's HTML error page: the task may have been taken.
      const code = response.ok ? ('provider_error' as const) : toAppError(response.status, undefined).code
      const detail = `runware answered ${response.status} with a body that is not the documented JSON`
      return { kind: 'uncertain', network: false, error: new AppError(code, undefined, { detail }), retryAfterMs }
    }
    if (response.status >= 500 || /noAvailableServer/.test(firstError?.code ?? '')) {
      return { kind: 'uncertain', network: false, error: toAppError(response.status, firstError), retryAfterMs }
    }
    throw toAppError(response.status, firstError)
  }

  /**
   * Follows a task with getResponse until its results are in. `known`: Runware acknowledged the
   * task, so "not found" is a failure. Otherwise (after an ambiguous submit) "not found" on the
   * first answer means Runware never took it: returns undefined, and submitting again cannot bill
   * twice. Once the task has been seen, it is never resubmitted.
   */
  async function followAsync(
    taskUUID: string,
    expected: number,
    known: boolean,
    signal: AbortSignal,
    report: (done: number, seen: boolean) => void
  ): Promise<Finished | undefined> {
    let seen = known
    let unreachable = 0
    let lastError: AppError | undefined
    return pollAsync<Finished | 'absent'>(
      async () => {
        let answer: Answer
        try {
          answer = await postAsync(JSON.stringify([{ taskType: 'getResponse', taskUUID }]), signal)
        } catch (error) {
          if (!seen && error instanceof AppError && /taskFailedOrNotFound/.test(error.detail ?? '')) return 'absent'
          throw error
        }
        if (answer.kind !== 'ok') {
          // Polls are retried freely, but a host that cannot be reached at all is not polled until the deadline.
          unreachable = answer.kind === 'unreached' || (answer.kind === 'uncertain' && answer.network) ? unreachable + 1 : 0
          lastError = answer.error
          log('provider.poll_failed', { taskUUID, kind: answer.kind, detail: answer.error.detail })
          if (unreachable >= MAX_UNREACHABLE_POLLS) throw lastError
          return undefined
        }
        unreachable = 0
        const items = (answer.envelope.data ?? []).filter((item) => item.taskUUID === taskUUID)
        if (items.length > 0) seen = true
        const successes = items.filter((item) => item.status === 'success' || (item.status === undefined && hasImage(item)))
        const errors = items.filter((item) => item.status === 'error')
        const processing = items.length - successes.length - errors.length
        if (successes.length >= expected) return { items: successes }
        if (errors.length > 0 && processing === 0 && successes.length + errors.length >= expected) {
          if (successes.length === 0) throw toAppError(200, errors[0]?.error)
          // Some results failed and the rest were paid for: keep what came back.
          log('provider.partial', { taskUUID, succeeded: successes.length, failed: errors.length, detail: toAppError(200, errors[0]?.error).detail })
          return { items: successes }
        }
        report(successes.length, items.length > 0)
        log('provider.poll', { taskUUID, done: successes.length, expected })
        return undefined
      },
      { signal, sleepAsync: deps.sleepAsync }
    ).then((outcome) => (outcome === 'absent' ? undefined : outcome))
  }

  /** Submits one task (never twice once Runware may have it) and follows it to its end. */
  async function runTaskAsync(
    input: ProviderEditInput,
    call: RunwareCall,
    report: (done: number, seen: boolean) => void
  ): Promise<Finished> {
    const { signal } = input
    // Kept only while a resubmit may need it (same taskUUID, same bytes); dropped once Runware has
    // the task, so an edit waiting at the host holds its reference once, not its request body too.
    let body: Uint8Array<ArrayBuffer> | undefined
    return submitWithRetriesAsync<Finished>(deps, signal, {
      attemptAsync: async (attempt) => {
        log('provider.submit', { taskUUID: call.taskUUID, attempt, delivery: call.delivery, numberResults: call.numberResults })
        body ??= buildRunwareBody(input, call)
        const answer = await postAsync(body, signal)
        if (answer.kind === 'ok' || answer.kind === 'conflict') body = undefined
        if (answer.kind === 'ok') return { kind: 'accepted', value: await takeAcceptedAsync(call, answer.envelope, signal, report) }
        if (answer.kind === 'conflict') {
          // Runware has this task (sent before, its answer lost, and a poll that did not see it yet):
          // it runs and is billed, so take its results. The SDK does this only on a retry, as its
          // callers may choose UUIDs; the relay's are fresh per task, so a conflict is always its own.
          log('provider.conflict', { taskUUID: call.taskUUID, attempt, detail: answer.error.detail })
          report(0, true)
          const followed = await followAsync(call.taskUUID, call.numberResults, true, signal, report)
          if (followed === undefined) throw new AppError('provider_error', undefined, { detail: 'runware answered conflictTaskUUID for a task getResponse does not know' })
          return { kind: 'accepted', value: followed }
        }
        log('provider.uncertain', { taskUUID: call.taskUUID, attempt, kind: answer.kind, detail: answer.error.detail })
        if (answer.kind === 'uncertain') return { kind: 'ambiguous', error: answer.error, retryAfterMs: answer.retryAfterMs }
        return { kind: 'refused', error: answer.error, retryAfterMs: answer.kind === 'refused' ? answer.retryAfterMs : undefined }
      },
      // The task may have run (and been billed): ask for it by its UUID before anything else.
      recoverAsync: async (attempt) => {
        // Following the task may take as long as the task: rebuilt from the reference should it be absent.
        body = undefined
        const recovered = await followAsync(call.taskUUID, call.numberResults, false, signal, report)
        if (recovered === undefined) return { kind: 'absent' }
        log('provider.recovered', { taskUUID: call.taskUUID, attempt })
        return { kind: 'found', value: recovered }
      }
    })
  }

  async function takeAcceptedAsync(
    call: RunwareCall,
    envelope: RunwareEnvelope,
    signal: AbortSignal,
    report: (done: number, seen: boolean) => void
  ): Promise<Finished> {
    if (call.delivery === 'sync') return { items: (envelope.data ?? []).filter((item) => item.taskUUID === call.taskUUID) }
    // The answer to an async submit is an acknowledgement; the results come from getResponse.
    report(0, false)
    await deps.sleepAsync(ASYNC_FIRST_POLL_MS, signal)
    const finished = await followAsync(call.taskUUID, call.numberResults, true, signal, report)
    if (finished === undefined) throw new AppError('provider_error', undefined, { detail: 'runware lost an acknowledged task' })
    return finished
  }

  return {
    id: 'runware',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const { request, offer, signal } = input
      const delivery = chooseDelivery(input, host.settings.RUNWARE_DELIVERY)
      const perCall = Math.max(1, offer.variantsPerCall)
      const calls: RunwareCall[] = []
      for (let offset = 0; offset < request.numImages; offset += perCall) {
        calls.push({
          taskUUID: deps.randomUUID(),
          numberResults: Math.min(perCall, request.numImages - offset),
          seed: request.seed === undefined ? undefined : (request.seed + offset) % (offer.seedMax + 1),
          delivery
        })
      }
      const done = calls.map(() => 0)
      const seen = calls.map(() => false)
      const reporter = (index: number) => (count: number, started: boolean) => {
        done[index] = count
        seen[index] = seen[index] === true || started
        const total = done.reduce((sum, value) => sum + value, 0)
        if (total === 0 && !seen.some(Boolean)) input.onProgress({ status: 'queued' })
        else input.onProgress({ status: 'running', fraction: total / request.numImages })
      }

      const settled = await Promise.allSettled(calls.map((call, index) => runTaskAsync(input, call, reporter(index))))
      if (signal.aborted) throw signal.reason
      const finished = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
      if (finished.length === 0) throw failures[0]
      if (failures.length > 0) {
        log('provider.partial', { calls: calls.length, failed: failures.length, detail: failures.map((error) => (error instanceof AppError ? error.detail : String(error))).join('; ') })
      }
      const items = finished.flatMap((entry) => entry.items)
      const expected = finished.length === calls.length ? request.numImages : items.length
      return toResultAsync(calls.map((call) => call.taskUUID).join(','), items, expected, input)
    }
  }

  async function toResultAsync(hostJobId: string, items: RunwareItem[], expected: number, input: ProviderEditInput): Promise<ProviderResult> {
    const clean = items.filter((item) => item.NSFWContent !== true)
    if (items.length > 0 && clean.length === 0) {
      throw new AppError('moderated', undefined, { detail: 'runware flagged every result NSFWContent' })
    }
    if (items.length < expected || clean.length === 0) {
      throw new AppError('provider_error', undefined, { detail: `runware returned ${items.length} of ${expected} results` })
    }
    if (clean.length < items.length) log('provider.nsfw_dropped', { hostJobId, dropped: items.length - clean.length, kept: clean.length })
    const images: ProviderImage[] = await Promise.all(clean.map(async (item) => ({ bytes: await decodeItemAsync(item, input.signal), seed: item.seed })))
    // Every result is billed, flagged or not.
    const costs = items.map((item) => item.cost).filter((cost): cost is number => cost !== undefined)
    return {
      images,
      costUsd: costs.length > 0 ? Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6 : undefined,
      hostJobId
    }
  }

  async function decodeItemAsync(item: RunwareItem, signal: AbortSignal): Promise<Uint8Array> {
    if (item.imageBase64Data !== undefined) return base64ToBytes(item.imageBase64Data)
    const match = /^data:[^;,]+;base64,(.*)$/s.exec(item.imageDataURI ?? '')
    if (match?.[1] !== undefined) return base64ToBytes(match[1])
    // The relay asks for base64; should Runware answer with a URL anyway, fetch it at once (it expires).
    const url = item.imageURL ?? item.mediaURL
    if (url !== undefined) return downloadResultAsync(url, { fetch: deps.fetch, signal, hostBaseUrl: apiUrl })
    throw new AppError('provider_error', undefined, { detail: 'runware result carried no image data' })
  }
}

function hasImage(item: RunwareItem): boolean {
  return item.imageBase64Data !== undefined || item.imageDataURI !== undefined || item.imageURL !== undefined || item.mediaURL !== undefined
}
