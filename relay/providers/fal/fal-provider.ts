import * as z from 'zod'
import { AppError } from '../../../shared/errors'
import { base64ToBytes } from '../../images/base64'
import type { HostConfig } from '../../config'
import { falError, FalErrorBody, failureTypes } from './fal-error'
import { createFalStorage } from './fal-storage'
import type { ProviderDeps, ProviderEditInput, ProviderFactory, ProviderImage, ProviderResult } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * fal.ai's queue (docs/hosts.md, "fal"; fal-ai/fal-js `libs/client/src/queue.ts`):
 * `POST {FAL_QUEUE_URL}/{endpoint}`, then `GET status_url` until COMPLETED, then
 * `GET response_url`, then the CDN image URLs, downloaded at once. The adapter uses the three URLs
 * fal returns and never builds them: they sit on `{owner}/{app}` only. References above 1 MB go
 * through fal's storage first, as fal's client sends every file (relay/providers/fal/fal-storage.ts).
 *
 * fal's quirk: a failed request also ends COMPLETED; its error (422 `detail[]`, or an
 * infrastructure `error_type`) shows only on the GET of `response_url`.
 *
 * fal documents no idempotency key, so a submit is sent again only when fal cannot have queued it:
 * a 429, a 503 refusal, or a connection that never opened.
 */

const PROVIDER = 'fal'
/** fal-js `libs/client/src/config.ts`, `getRestApiUrl()`; FAL_STORAGE_URL overrides it. */
export const DEFAULT_FAL_STORAGE_URL = 'https://rest.fal.ai'
/** Result GETs are free to repeat; a few tries ride out a blip without hiding a job's own error. */
const MAX_RESULT_ATTEMPTS = 3
const RESULT_RETRY_MS = 250
/** Consecutive status answers that cannot be read, or connections that never open, before giving up. */
const MAX_UNUSABLE_POLLS = 3
const CANCEL_TIMEOUT_MS = 5000

/** The queue's answer to a submit (`InQueueQueueStatus` with its URLs, fal-js `libs/client/src/types/common.ts`). */
const Submitted = z.object({
  request_id: z.string().min(1),
  status: z.string().optional(),
  queue_position: z.number().optional(),
  response_url: z.url(),
  status_url: z.url(),
  cancel_url: z.url()
})
type Submitted = z.infer<typeof Submitted>

const QueueStatus = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  queue_position: z.number().optional()
})

/** `FluxKontextOutput` (fal-js `libs/client/src/types/endpoints.ts`); fields the relay does not use are let through. */
const Output = z.object({
  images: z.array(z.object({ url: z.string().min(1), content_type: z.string().optional() })),
  seed: z.number().int().nonnegative().optional(),
  has_nsfw_concepts: z.array(z.boolean()).optional()
})
type Output = z.infer<typeof Output>

/** One host call: `numImages` variants, and the seed of the first one (when the client set one). */
interface Call {
  numImages: number
  seed: number | undefined
}

interface CallResult {
  requestId: string
  images: ProviderImage[]
  flagged: number
}

/**
 * fal has two input schemas (fal-js `libs/client/src/types/endpoints.ts`): `FluxKontextInput` and
 * `FluxKontextMultiInput` (pro/max: `aspect_ratio`, `safety_tolerance`, `enhance_prompt`) and
 * `DevKontextEditInput` for `fal-ai/flux-kontext/dev` (`num_inference_steps`, `resolution_mode`,
 * no `enhance_prompt`). The offer's capabilities say which fields apply; a model with a steps
 * setting takes the dev schema, whose ratio field is `resolution_mode`. `images` are the
 * references as fal takes them (data URIs or uploaded file URLs, see fal-storage.ts).
 */
export function buildFalInput(input: ProviderEditInput, call: Call, images: readonly string[]): Record<string, unknown> {
  const { request, offer } = input
  checkOutputFormat(input)
  const body: Record<string, unknown> = { prompt: request.prompt }
  if (images.length > 1) body.image_urls = images
  else body.image_url = images[0]
  if (offer.steps === null) body.aspect_ratio = input.aspectRatio
  else body.resolution_mode = input.aspectRatio
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  if (offer.steps !== null) body.num_inference_steps = request.steps ?? offer.steps.default
  body.num_images = call.numImages
  body.output_format = request.outputFormat
  if (offer.safetyTolerance !== null) {
    // fal's scale is the string "1" (strictest) … "6"; the relay's 0 has no match, so it is "1".
    const tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
    body.safety_tolerance = String(Math.min(6, Math.max(1, Math.round(tolerance))))
  }
  if (offer.promptUpsampling) body.enhance_prompt = request.promptUpsampling ?? false
  if (call.seed !== undefined) body.seed = call.seed
  return body
}

function checkOutputFormat({ request }: ProviderEditInput): void {
  if (request.outputFormat !== 'png' && request.outputFormat !== 'jpeg') {
    throw new AppError('invalid_request', `fal returns png or jpeg, not ${request.outputFormat}.`)
  }
}

/** The endpoint id: the `/multi` one when there are several references (docs/hosts.md, "fal"). */
export function falEndpoint(input: ProviderEditInput): string {
  if (input.references.length < 2) return input.offer.hostModelId
  if (input.offer.multiHostModelId === undefined) {
    throw new AppError('invalid_request', `fal takes one reference image for ${input.model}; this edit has ${input.references.length}.`)
  }
  return input.offer.multiHostModelId
}

/** Variants in as few calls as the offer allows; seeds seed, seed+1, … across calls. */
function planCalls(input: ProviderEditInput): Call[] {
  const perCall = Math.max(1, input.offer.variantsPerCall)
  const calls: Call[] = []
  for (let first = 0; first < input.request.numImages; first += perCall) {
    const seed = input.request.seed === undefined ? undefined : (input.request.seed + first) % (input.offer.seedMax + 1)
    calls.push({ numImages: Math.min(perCall, input.request.numImages - first), seed })
  }
  return calls
}

function decodeDataUri(uri: string): Uint8Array {
  const match = /^data:[^,]*?;base64,(.*)$/s.exec(uri)
  if (match?.[1] === undefined) throw new AppError('provider_error', undefined, { detail: 'fal returned a data URI that is not base64' })
  return base64ToBytes(match[1])
}

export const createFalProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps) => {
  const key = host.key ?? ''
  const hostOrigin = new URL(host.url).origin
  const storage = createFalStorage(host.settings.FAL_STORAGE_URL ?? DEFAULT_FAL_STORAGE_URL, key, deps)
  const headers = (json: boolean): Record<string, string> => ({
    authorization: `Key ${key}`,
    accept: 'application/json',
    ...(json ? { 'content-type': 'application/json' } : {})
  })

  /** The key goes only over https, or to the configured origin (a test fake, a local proxy). */
  function checkedUrl(url: string, what: string): string {
    const parsed = new URL(url)
    if (parsed.protocol === 'https:' || parsed.origin === hostOrigin) return parsed.href
    throw new AppError('provider_error', undefined, { detail: `fal ${what} is on ${parsed.origin}; the key is sent only over https or to the configured origin` })
  }

  async function submitAsync(endpoint: string, body: Record<string, unknown>, signal: AbortSignal): Promise<Submitted> {
    const url = `${host.url}/${endpoint.split('/').map(encodeURIComponent).join('/')}`
    const json = JSON.stringify(body)
    return submitWithRetriesAsync<Submitted>(deps, signal, {
      attemptAsync: async (attempt) => {
        deps.log('provider.submit', { provider: PROVIDER, endpoint, attempt, numImages: body.num_images })
        const answer = await hostFetchAsync(deps.fetch, url, { method: 'POST', headers: headers(true), body: json }, signal)
        if (answer.kind === 'network') {
          // The request may have reached fal and been queued: sending it again could bill twice.
          return { kind: answer.reachedHost ? 'ambiguous' : 'refused', error: new AppError('provider_unavailable', undefined, { detail: `fal submit: ${answer.detail}` }) }
        }
        const { response } = answer
        const read = await readTextAsync(response, signal)
        if (response.ok) {
          if (!read.ok) return { kind: 'ambiguous', error: new AppError('provider_unavailable', undefined, { detail: `fal submit answered ${response.status}, ${read.detail}` }) }
          const parsed = Submitted.safeParse(parseJson(read.text))
          if (!parsed.success) return { kind: 'ambiguous', error: new AppError('provider_error', undefined, { detail: `fal submit answered ${response.status} with a body that is not the documented JSON` }) }
          return { kind: 'accepted', value: parsed.data }
        }
        const error = falError(response, read.ok ? read.text : '', 'submit', deps.now())
        // 429 and 503 are refusals: fal queued nothing. Any other 5xx may have been raised after queueing.
        if (response.status === 429 || response.status === 503) return { kind: 'refused', error, retryAfterMs: retryAfterMsOf(response, deps.now()) }
        return { kind: response.status >= 500 ? 'ambiguous' : 'final', error }
      },
      onRetry: ({ attempt, waitMs, error }) => deps.log('provider.retry', { provider: PROVIDER, endpoint, attempt, waitMs, detail: error.detail })
    })
  }

  /** Polls `status_url` until COMPLETED; transient failures are polled through within the deadline. */
  async function waitForCompletionAsync(job: Submitted, input: ProviderEditInput, signal: AbortSignal): Promise<void> {
    const statusUrl = checkedUrl(job.status_url, 'status_url')
    let unusable = 0
    let last: string | undefined
    await pollAsync(
      async () => {
        const answer = await hostFetchAsync(deps.fetch, statusUrl, { headers: headers(false) }, signal)
        let problem: AppError | undefined
        if (answer.kind === 'network') {
          deps.log('provider.poll_failed', { provider: PROVIDER, requestId: job.request_id, detail: answer.detail })
          // A connection that opened and broke is a blip; one that never opens, time after time, is an outage.
          if (!answer.reachedHost) problem = new AppError('provider_unavailable', undefined, { detail: `fal status: ${answer.detail}` })
        } else {
          const { response } = answer
          const read = await readTextAsync(response, signal)
          // fal answers 202 while queued or running and 200 once COMPLETED (docs/hosts.md, "fal").
          if (response.status === 200 || response.status === 202) {
            const parsed = read.ok ? QueueStatus.safeParse(parseJson(read.text)) : undefined
            if (parsed?.success === true) {
              unusable = 0
              if (parsed.data.status === 'COMPLETED') return true
              if (parsed.data.status !== last) {
                last = parsed.data.status
                deps.log('provider.status', { provider: PROVIDER, requestId: job.request_id, status: last, queuePosition: parsed.data.queue_position })
                input.onProgress({ status: last === 'IN_QUEUE' ? 'queued' : 'running' })
              }
              return undefined
            }
            problem = new AppError('provider_error', undefined, { detail: `fal status answered ${response.status} with a body that is not the documented JSON` })
          } else if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 410) {
            throw falError(response, read.ok ? read.text : '', 'status', deps.now())
          } else {
            deps.log('provider.poll_failed', { provider: PROVIDER, requestId: job.request_id, status: response.status })
          }
        }
        if (problem !== undefined) {
          unusable += 1
          if (unusable >= MAX_UNUSABLE_POLLS) throw problem
        }
        return undefined
      },
      { signal, sleepAsync: deps.sleepAsync }
    )
  }

  /** GETs `response_url`: the output, or the job's own error (fal's COMPLETED-but-failed quirk). */
  async function fetchOutputAsync(job: Submitted, signal: AbortSignal): Promise<Output | 'pending'> {
    const responseUrl = checkedUrl(job.response_url, 'response_url')
    for (let attempt = 1; ; attempt += 1) {
      const answer = await hostFetchAsync(deps.fetch, responseUrl, { headers: headers(false) }, signal)
      let failure: AppError
      if (answer.kind === 'network') {
        failure = new AppError('provider_unavailable', undefined, { detail: `fal result: ${answer.detail}` })
      } else {
        const { response } = answer
        const read = await readTextAsync(response, signal)
        if (!read.ok) {
          failure = new AppError('provider_unavailable', undefined, { detail: `fal result ${response.status}: ${read.detail}` })
        } else if (response.ok) {
          const parsed = Output.safeParse(parseJson(read.text))
          if (parsed.success) return parsed.data
          failure = new AppError('provider_error', undefined, { detail: `fal result answered ${response.status} with a body that is not the documented JSON` })
        } else {
          const body = parseJson(read.text)
          const detail = FalErrorBody.safeParse(body).data?.detail
          if (response.status === 400 && typeof detail === 'string' && /in progress/i.test(detail)) return 'pending'
          failure = falError(response, read.text, 'result', deps.now())
          const blip = response.status === 429 || ((response.status === 502 || response.status === 503) && failureTypes(body).length === 0)
          if (!blip) throw failure
        }
      }
      if (attempt >= MAX_RESULT_ATTEMPTS) throw failure
      deps.log('provider.result_retry', { provider: PROVIDER, requestId: job.request_id, attempt, detail: failure.detail })
      await deps.sleepAsync(RESULT_RETRY_MS * attempt, signal)
    }
  }

  async function collectAsync(job: Submitted, output: Output, call: Call, signal: AbortSignal): Promise<CallResult> {
    const flags = output.has_nsfw_concepts ?? []
    const kept = output.images.map((image, index) => ({ image, index })).filter(({ index }) => flags[index] !== true)
    const flagged = output.images.length - kept.length
    if (flagged > 0) deps.log('provider.nsfw', { provider: PROVIDER, requestId: job.request_id, dropped: flagged, of: output.images.length })
    const images = await Promise.all(
      kept.map(async ({ image, index }): Promise<ProviderImage> => {
        const bytes = image.url.startsWith('data:')
          ? decodeDataUri(image.url)
          : await downloadResultAsync(image.url, { fetch: deps.fetch, signal, hostBaseUrl: host.url })
        // fal reports one seed per call; it reproduces the batch, i.e. the first image on its own.
        return { bytes, seed: index === 0 ? (output.seed ?? call.seed) : undefined }
      })
    )
    return { requestId: job.request_id, images, flagged }
  }

  /** Best effort and never awaited by the caller: the edit is already over for the relay. */
  function cancelAtHost(job: Submitted): void {
    let cancelUrl: string
    try {
      cancelUrl = checkedUrl(job.cancel_url, 'cancel_url')
    } catch {
      return
    }
    deps.log('provider.cancel', { provider: PROVIDER, requestId: job.request_id })
    void hostFetchAsync(deps.fetch, cancelUrl, { method: 'PUT', headers: headers(false) }, AbortSignal.timeout(CANCEL_TIMEOUT_MS))
      .then(async (answer) => {
        const status = answer.kind === 'response' ? answer.response.status : undefined
        if (answer.kind === 'response') await answer.response.body?.cancel().catch(() => undefined)
        deps.log('provider.canceled', { provider: PROVIDER, requestId: job.request_id, status })
      })
      .catch(() => undefined)
  }

  async function runCallAsync(input: ProviderEditInput, endpoint: string, call: Call, images: readonly string[], signal: AbortSignal): Promise<CallResult> {
    const job = await submitAsync(endpoint, buildFalInput(input, call, images), signal)
    deps.log('provider.submitted', { provider: PROVIDER, endpoint, requestId: job.request_id, queuePosition: job.queue_position })
    input.onProgress({ status: 'queued' })
    let completed = false
    try {
      for (;;) {
        await waitForCompletionAsync(job, input, signal)
        completed = true
        const output = await fetchOutputAsync(job, signal)
        if (output !== 'pending') return await collectAsync(job, output, call, signal)
        completed = false
      }
    } catch (error) {
      if (!completed) cancelAtHost(job)
      if (signal.aborted) throw signal.reason
      throw error
    }
  }

  return {
    id: 'fal',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const endpoint = falEndpoint(input)
      const calls = planCalls(input)
      // Checked before anything is uploaded: a request fal cannot take costs nothing.
      checkOutputFormat(input)
      // Uploaded once, before any submit, and shared by every call.
      const imageUrls = await Promise.all(input.references.map((reference, index) => storage.imageUrlAsync(reference, index, input.signal)))
      // One failed call stops (and cancels) its siblings.
      const siblings = new AbortController()
      const signal = AbortSignal.any([input.signal, siblings.signal])
      let results: CallResult[]
      try {
        results = await Promise.all(
          calls.map((call) =>
            runCallAsync(input, endpoint, call, imageUrls, signal).catch((error: unknown) => {
              siblings.abort(error)
              throw error
            })
          )
        )
      } catch (error) {
        if (input.signal.aborted) throw input.signal.reason
        throw error
      }
      const images = results.flatMap((result) => result.images)
      const flagged = results.reduce((sum, result) => sum + result.flagged, 0)
      const hostJobId = results.map((result) => result.requestId).join(',')
      if (images.length === 0 && flagged > 0) {
        throw new AppError('moderated', undefined, { detail: `fal flagged every result has_nsfw_concepts (${hostJobId})` })
      }
      if (images.length === 0) throw new AppError('provider_error', undefined, { detail: `fal returned no images (${hostJobId})` })
      return { images, costUsd: undefined, hostJobId }
    }
  }
}
