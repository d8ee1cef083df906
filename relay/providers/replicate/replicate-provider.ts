import * as z from 'zod'
import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../../shared/errors'
import type { OutputFormat } from '../../../shared/relay-api'
import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderImage, ProviderFactory, ProviderResult } from '../provider'
import { createReplicateFiles } from './replicate-files'
import { downloadResultAsync } from '../shared/download-result-async'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * Replicate (docs/hosts.md, "Replicate"; replicate/replicate-javascript `index.js`,
 * `lib/predictions.js`): `POST {url}/v1/models/{owner}/{name}/predictions` with
 * `{"input":{…}}`, Bearer auth and `Prefer: wait=N`, which holds the answer up to N seconds; a
 * prediction still `starting`/`processing` after that is followed through `urls.get` (never a
 * rebuilt URL). Kontext makes one image per prediction, so variants are parallel predictions with
 * seed, seed+1, …. Results are downloaded at once (Replicate deletes them after an hour).
 *
 * References above 1 MB are uploaded to Replicate's Files API first and passed as the file's URL,
 * as Replicate's client does (relay/providers/replicate/replicate-files.ts); smaller ones go inline.
 *
 * Which input fields go out is decided by the offer's capabilities (a null range: the model has no
 * such field), never by the model id. Replicate reports no cost, and does not let the client
 * choose the prediction id, so a submit is sent again only when it cannot have been accepted.
 *
 * Cancelling: a prediction is cancelled with `POST urls.cancel` when the edit is cancelled or runs
 * out of time. While `Prefer: wait` holds the submit, the relay does not know the prediction's id
 * yet; if the edit is aborted then, the adapter gives up at once but keeps listening for that
 * answer in the background and cancels the prediction as soon as it learns its id. That is why
 * the hold is short by default (REPLICATE_WAIT_SECONDS, 5 s): a long hold would make a
 * cancellation arrive only after the image was made and billed.
 */

const PROVIDER = 'replicate'
const NAME = 'Replicate'

const OUTPUT_FORMATS: Record<OutputFormat, 'png' | 'jpg' | 'webp'> = { png: 'png', jpeg: 'jpg', webp: 'webp' }

/** `Prefer: wait=N` takes 1–60 seconds (docs/hosts.md, "Replicate"). */
export const DEFAULT_WAIT_SECONDS = 5
const MIN_WAIT_SECONDS = 1
const MAX_WAIT_SECONDS = 60
/** How much longer than the hold a submit may take before the relay stops listening. */
const SUBMIT_GRACE_MS = 30_000
const CANCEL_TIMEOUT_MS = 10_000
/** Replicate's moderation code in a failed prediction's `error` (docs/hosts.md, "Replicate"). */
const MODERATION_MARKER = /\bE005\b/

const PredictionStatus = z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'])
type PredictionStatus = z.infer<typeof PredictionStatus>
const TERMINAL: ReadonlySet<PredictionStatus> = new Set(['succeeded', 'failed', 'canceled', 'aborted'])

/** The prediction object (the client's `index.d.ts`, `Prediction`), only the fields the relay reads. */
const Prediction = z.object({
  id: z.string().min(1),
  status: PredictionStatus,
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  urls: z.object({ get: z.string().min(1), cancel: z.string().min(1).optional() })
})
type Prediction = z.infer<typeof Prediction>

/** What one prediction request becomes on the wire. */
export interface ReplicateCall {
  /** `owner/name`, from the offer. */
  model: string
  body: { input: Record<string, unknown> }
  /** The seed sent, when the client gave one. */
  seed: number | undefined
}

/** The model for this edit, or why Replicate cannot take it; checked before anything is uploaded. */
function replicateModelOf(input: ProviderEditInput): string {
  const { request, offer, references } = input
  const multi = references.length > 1
  const model = multi ? offer.multiHostModelId : offer.hostModelId
  if (model === undefined) {
    throw new AppError('invalid_request', `Replicate takes one reference image for ${input.model}.`)
  }
  // The multi-image apps take no prompt_upsampling (docs/hosts.md, "Replicate"): refuse rather than drop it.
  if (multi && request.promptUpsampling === true) {
    throw new AppError('invalid_request', 'Replicate cannot expand the prompt when several reference images are sent; leave promptUpsampling out or send one image.')
  }
  return model
}

/**
 * The body of one prediction (variant `variant`, 0-based). One reference goes to the offer's
 * model as `input_image`; several go to `offer.multiHostModelId` as `input_image_1`, `_2`, ….
 * `images` are the references as Replicate takes them: data URIs or uploaded files' URLs.
 */
export function buildReplicateCall(input: ProviderEditInput, variant: number, images: readonly string[]): ReplicateCall {
  const { request, offer } = input
  const model = replicateModelOf(input)
  const multi = images.length > 1
  const fields: Record<string, unknown> = { prompt: request.prompt }
  if (multi) images.forEach((image, index) => (fields[`input_image_${index + 1}`] = image))
  else if (images[0] !== undefined) fields.input_image = images[0]
  fields.aspect_ratio = input.aspectRatio
  const seed = request.seed === undefined ? undefined : (request.seed + variant) % (offer.seedMax + 1)
  if (seed !== undefined) fields.seed = seed
  fields.output_format = OUTPUT_FORMATS[request.outputFormat]
  // BFL's limit of 2 with an input image is the catalogue's range max, checked by the relay.
  if (offer.safetyTolerance !== null) fields.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling && !multi) fields.prompt_upsampling = request.promptUpsampling ?? false
  if (offer.steps !== null) fields.num_inference_steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) fields.guidance = request.guidance ?? offer.guidance.default
  if (offer.outputQuality !== null) fields.output_quality = request.outputQuality ?? offer.outputQuality.default
  return { model, body: { input: fields }, seed }
}

/** REPLICATE_WAIT_SECONDS from the host's settings, 1–60; the default otherwise. */
export function waitSecondsOf(host: HostConfig): number {
  const value = Number(host.settings.REPLICATE_WAIT_SECONDS ?? '')
  return Number.isInteger(value) && value >= MIN_WAIT_SECONDS && value <= MAX_WAIT_SECONDS ? value : DEFAULT_WAIT_SECONDS
}

type SubmitOutcome =
  | { kind: 'created'; prediction: Prediction }
  /** Refused before anything was created: worth another try when `retry`. */
  | { kind: 'refused'; error: AppError; retry: boolean; retryAfterMs: number | undefined }
  /** The prediction may exist (and be billed): never sent again. */
  | { kind: 'ambiguous'; error: AppError }

/** Host codes first (moderation), then the statuses every host shares. */
function errorFor(status: number, detail: string): AppError {
  const code: RelayErrorCode = MODERATION_MARKER.test(detail) ? 'moderated' : codeForStatus(status)
  return hostError(NAME, status, code, detail)
}

function isTerminal(prediction: Prediction): boolean {
  return TERMINAL.has(prediction.status)
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      }
    )
  })
}

export const createReplicateProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps): Provider => {
  const apiUrl = host.url.replace(/\/+$/, '')
  const origin = new URL(apiUrl).origin
  const waitSeconds = waitSecondsOf(host)
  const authorization = `Bearer ${host.key ?? ''}`
  const files = createReplicateFiles(apiUrl, host.key ?? '', deps)

  /** The key goes only to Replicate's own API origin, whatever a prediction's urls say. */
  function apiUrlOf(url: string | undefined, what: string): string {
    let parsed: URL
    try {
      parsed = new URL(url ?? '')
    } catch {
      throw new AppError('provider_error', undefined, { detail: `${PROVIDER}: ${what} is not a URL` })
    }
    if (parsed.origin !== origin) {
      throw new AppError('provider_error', undefined, { detail: `${PROVIDER}: ${what} is on ${parsed.origin}, not the configured API` })
    }
    return parsed.href
  }

  async function submitOnceAsync(call: ReplicateCall, signal: AbortSignal): Promise<SubmitOutcome> {
    const url = `${apiUrl}/v1/models/${call.model}/predictions`
    const init: RequestInit = {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', prefer: `wait=${waitSeconds}` },
      body: JSON.stringify(call.body)
    }
    const answer = await hostFetchAsync(deps.fetch, url, init, signal)
    if (answer.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, { detail: `${PROVIDER} submit: ${answer.detail}` })
      return answer.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error, retry: true, retryAfterMs: undefined }
    }
    const { response } = answer
    const retryAfterMs = retryAfterMsOf(response, deps.now())
    const refusedForNow = response.status === 429 || response.status === 503
    const read = await readTextAsync(response, signal)
    if (!read.ok) {
      const error = refusedForNow ? errorFor(response.status, read.detail) : new AppError('provider_unavailable', undefined, { detail: `${PROVIDER} ${response.status}: ${read.detail}` })
      return refusedForNow ? { kind: 'refused', error, retry: true, retryAfterMs } : { kind: 'ambiguous', error }
    }
    const body = parseJson(read.text)
    if (response.ok) {
      const parsed = Prediction.safeParse(body)
      if (parsed.success) return { kind: 'created', prediction: parsed.data }
      return {
        kind: 'ambiguous',
        error: new AppError('provider_error', undefined, { detail: `${PROVIDER} ${response.status}: not a prediction: ${describeHostBody(body, read.text)}` })
      }
    }
    const error = errorFor(response.status, describeHostBody(body, read.text))
    if (response.status === 429) {
      const retryAfterSeconds = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000)
      return { kind: 'refused', error: new AppError(error.code, error.message, { detail: error.detail, retryAfterSeconds }), retry: true, retryAfterMs }
    }
    // A 503 is a refusal; any other 5xx may have been raised after the prediction was created.
    if (response.status >= 500 && response.status !== 503) return { kind: 'ambiguous', error }
    return { kind: 'refused', error, retry: response.status === 503, retryAfterMs }
  }

  /** Cancels a prediction in the background; failures are only logged. */
  function cancelInBackground(prediction: Prediction): void {
    let url: string
    try {
      url = apiUrlOf(prediction.urls.cancel, 'urls.cancel')
    } catch (error) {
      deps.log('provider.cancel_skipped', { provider: PROVIDER, predictionId: prediction.id, detail: error instanceof AppError ? error.detail : String(error) })
      return
    }
    deps.log('provider.cancel', { provider: PROVIDER, predictionId: prediction.id })
    hostFetchAsync(deps.fetch, url, { method: 'POST', headers: { authorization } }, AbortSignal.timeout(CANCEL_TIMEOUT_MS))
      .then(async (answer) => {
        if (answer.kind === 'network') {
          deps.log('provider.cancel_failed', { provider: PROVIDER, predictionId: prediction.id, detail: answer.detail })
          return
        }
        await answer.response.body?.cancel().catch(() => undefined)
        deps.log('provider.canceled', { provider: PROVIDER, predictionId: prediction.id, status: answer.response.status })
      })
      .catch((error: unknown) => deps.log('provider.cancel_failed', { provider: PROVIDER, predictionId: prediction.id, detail: String(error) }))
  }

  /** Submits until Replicate creates the prediction, and again only after a refusal that cannot have created one. */
  async function submitAsync(call: ReplicateCall, variant: number, signal: AbortSignal): Promise<Prediction> {
    return submitWithRetriesAsync<Prediction>(deps, signal, {
      attemptAsync: async (attempt) => {
        if (signal.aborted) throw signal.reason as Error
        deps.log('provider.submit', { provider: PROVIDER, model: call.model, variant, attempt, waitSeconds })
        // Not the edit's signal: an abort during the hold must not lose the prediction's id.
        const pending = submitOnceAsync(call, AbortSignal.timeout(waitSeconds * 1000 + SUBMIT_GRACE_MS)).catch(
          (error: unknown): SubmitOutcome => ({
            kind: 'ambiguous',
            error: new AppError('provider_unavailable', undefined, { detail: `${PROVIDER} submit: no answer within ${waitSeconds} s + ${SUBMIT_GRACE_MS / 1000} s: ${String(error)}` })
          })
        )
        let outcome: SubmitOutcome
        try {
          outcome = await untilAborted(pending, signal)
        } catch (error) {
          void pending.then((late) => {
            if (late.kind === 'created' && !isTerminal(late.prediction)) cancelInBackground(late.prediction)
          })
          throw error
        }
        if (outcome.kind === 'created') {
          deps.log('provider.created', { provider: PROVIDER, predictionId: outcome.prediction.id, status: outcome.prediction.status, variant })
          return { kind: 'accepted', value: outcome.prediction }
        }
        deps.log('provider.submit_failed', { provider: PROVIDER, variant, attempt, kind: outcome.kind, code: outcome.error.code, detail: outcome.error.detail })
        if (outcome.kind === 'ambiguous') return outcome
        return outcome.retry ? { kind: 'refused', error: outcome.error, retryAfterMs: outcome.retryAfterMs } : { kind: 'final', error: outcome.error }
      }
    })
  }

  /** One poll of `urls.get`: the prediction, or undefined after a failure worth another poll. */
  async function pollOnceAsync(url: string, id: string, signal: AbortSignal): Promise<Prediction | undefined> {
    const answer = await hostFetchAsync(deps.fetch, url, { headers: { authorization } }, signal)
    if (answer.kind === 'network') {
      deps.log('provider.poll_failed', { provider: PROVIDER, predictionId: id, detail: answer.detail })
      return undefined
    }
    const { response } = answer
    const read = await readTextAsync(response, signal)
    const body = read.ok ? parseJson(read.text) : undefined
    if (!response.ok) {
      const detail = read.ok ? describeHostBody(body, read.text) : read.detail
      if (response.status === 429 || response.status >= 500) {
        deps.log('provider.poll_failed', { provider: PROVIDER, predictionId: id, status: response.status, detail })
        return undefined
      }
      throw errorFor(response.status, detail)
    }
    const parsed = Prediction.safeParse(body)
    if (!parsed.success || parsed.data.id !== id) {
      deps.log('provider.poll_failed', { provider: PROVIDER, predictionId: id, status: response.status, detail: read.ok ? 'not this prediction' : read.detail })
      return undefined
    }
    return parsed.data
  }

  function reportProgress(prediction: Prediction, input: ProviderEditInput): void {
    if (prediction.status === 'starting') input.onProgress({ status: 'queued' })
    else if (prediction.status === 'processing') input.onProgress({ status: 'running' })
  }

  /** The outcome of a finished prediction: its images, downloaded now, or the mapped error. */
  async function collectAsync(prediction: Prediction, seed: number | undefined, signal: AbortSignal): Promise<ProviderImage[]> {
    const error = typeof prediction.error === 'string' ? prediction.error : prediction.error === undefined || prediction.error === null ? '' : JSON.stringify(prediction.error)
    const detail = `${PROVIDER} prediction ${prediction.id} ${prediction.status}${error === '' ? '' : `: ${error.slice(0, 300)}`}`
    switch (prediction.status) {
      case 'succeeded': {
        const output = prediction.output
        const urls = typeof output === 'string' ? [output] : Array.isArray(output) ? output.filter((item): item is string => typeof item === 'string') : []
        if (urls.length === 0) throw new AppError('provider_error', undefined, { detail: `${detail} without an output URL` })
        const images: ProviderImage[] = []
        for (const url of urls) {
          images.push({ bytes: await downloadResultAsync(url, { fetch: deps.fetch, signal, hostBaseUrl: apiUrl }), seed })
        }
        return images
      }
      case 'failed':
        throw new AppError(MODERATION_MARKER.test(error) ? 'moderated' : 'provider_error', undefined, { detail })
      // Deadline passed before it started; not charged (docs/hosts.md, "Replicate").
      case 'aborted':
        throw new AppError('timeout', undefined, { detail })
      // Cancelled by someone else (the dashboard): the relay's own cancels rethrow the abort.
      case 'canceled':
        throw new AppError('provider_error', undefined, { detail })
      default:
        throw new AppError('provider_error', undefined, { detail: `${detail} is not finished` })
    }
  }

  async function runPredictionAsync(input: ProviderEditInput, call: ReplicateCall, variant: number): Promise<{ id: string; images: ProviderImage[] }> {
    const { signal } = input
    let current = await submitAsync(call, variant, signal)
    try {
      if (!isTerminal(current)) {
        reportProgress(current, input)
        const url = apiUrlOf(current.urls.get, 'urls.get')
        const id = current.id
        let lastStatus = current.status
        current = await pollAsync(
          async () => {
            const next = await pollOnceAsync(url, id, signal)
            if (next === undefined) return undefined
            current = next
            if (next.status !== lastStatus) {
              lastStatus = next.status
              deps.log('provider.status', { provider: PROVIDER, predictionId: id, status: next.status })
            }
            if (isTerminal(next)) return next
            reportProgress(next, input)
            return undefined
          },
          { signal, sleepAsync: deps.sleepAsync }
        )
      }
      return { id: current.id, images: await collectAsync(current, call.seed, signal) }
    } catch (error) {
      if (!signal.aborted) throw error
      if (!isTerminal(current)) cancelInBackground(current)
      throw signal.reason as Error
    }
  }

  return {
    id: PROVIDER,
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const { request, offer } = input
      const calls = Math.ceil(request.numImages / Math.max(1, offer.variantsPerCall))
      // Checked first, so a request Replicate cannot take fails before anything is uploaded or paid for.
      replicateModelOf(input)
      // Uploaded once, before any prediction, and shared by every variant.
      const images = await Promise.all(input.references.map((reference, index) => files.inputValueAsync(reference, index, input.signal)))
      const bodies = Array.from({ length: calls }, (_, variant) => buildReplicateCall(input, variant, images))
      const settled = await Promise.allSettled(bodies.map((call, variant) => runPredictionAsync(input, call, variant)))
      if (input.signal.aborted) throw input.signal.reason as Error
      const done = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
      if (done.length === 0) {
        const first = failures[0]
        throw first instanceof AppError ? first : new AppError('provider_error', ERROR_MESSAGES.provider_error, { detail: `${PROVIDER}: ${String(first)}` })
      }
      // Paid images are kept even when another variant failed; the failure goes to the log.
      for (const failure of failures) {
        deps.log('provider.variant_failed', {
          provider: PROVIDER,
          code: failure instanceof AppError ? failure.code : 'provider_error',
          detail: failure instanceof AppError ? failure.detail : String(failure)
        })
      }
      return {
        images: done.flatMap((prediction) => prediction.images).slice(0, request.numImages),
        costUsd: undefined,
        hostJobId: done.map((prediction) => prediction.id).join(',')
      }
    }
  }
}
