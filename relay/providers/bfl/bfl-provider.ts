import * as z from 'zod'
import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { PROVIDERS } from '../../../shared/models'
import { bytesToBase64 } from '../../images/base64'
import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderImage, ProviderProgress, ProviderResult } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * Black Forest Labs' own API (docs/hosts.md, "Black Forest Labs"): `POST {BFL_API_URL}/v1/{offer.hostModelId}` with
 * `x-key`, then `GET polling_url` until a final status, then download `result.sample` at once
 * (signed, 10 minutes). One image a call, so variants are parallel submissions. No idempotency
 * and no cancel endpoint: a submit is sent again only when BFL cannot have accepted it.
 *
 * Where the key goes (the one security rule this adapter adds): the submit goes to the configured
 * origin; the key is sent to the `polling_url` BFL returns only when that URL is
 *  - on the configured origin, or
 *  - https on the configured host's registrable domain (`api.us1.bfl.ai` for `api.bfl.ai`), or
 *  - on the configured hostname itself over the configured scheme, any port (a LAN proxy, a test
 *    fake's second "cluster" on 127.0.0.1): the key already travels to that machine.
 * Any other polling URL is refused (provider_error) without a request, so a tampered or
 * misrouted answer cannot collect the key. Redirects are never followed with the key. The signed
 * `result.sample` is fetched without the key, under `downloadResultAsync`'s rule (https, or http
 * only on the configured origin).
 */

const PROVIDER = 'bfl'
/** Consecutive unreadable poll answers before giving up (a proxy glitch is retried, garbage is not). */
const MAX_GARBLED_POLLS = 3
/** 1 credit = $0.01 (docs/hosts.md, "Black Forest Labs", pricing). */
const USD_PER_CREDIT = 0.01
/** Second-level labels under which the registrable domain has three labels (no public suffix list here). */
const GENERIC_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac'])
const MODEL_PATH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/

/** BFL's OpenAPI `AsyncResponse` (docs/hosts.md, "Black Forest Labs"); `polling_url` is optional only in the webhook shape, which the relay never asks for. */
const SubmitAnswer = z.object({
  id: z.string().min(1),
  polling_url: z.string().nullish(),
  cost: z.number().nonnegative().nullish(),
  input_mp: z.number().nullish(),
  output_mp: z.number().nullish()
})

/** BFL's OpenAPI `ResultResponse`: `result` is typed `any`; the relay needs `sample` and reads `seed`. */
const PollAnswer = z.object({
  id: z.string().nullish(),
  status: z.string(),
  result: z.unknown().nullish(),
  progress: z.number().nullish(),
  details: z.unknown().nullish(),
  error: z.unknown().nullish()
})
type PollAnswer = z.infer<typeof PollAnswer>

const ReadyResult = z.object({ sample: z.string().min(1), seed: z.number().int().nonnegative().nullish() })

type Submitted = { id: string; pollingUrl: string; costCredits: number | undefined }
type Finished = { sample: string; seed: number | undefined }

/** The body of one submission: the documented fields (BFL's OpenAPI `FluxKontextProInputs`), all explicit, as sources disagree on defaults. */
export function buildBflBody(input: ProviderEditInput, seed: number | undefined): Record<string, unknown> {
  const { request, offer } = input
  const body: Record<string, unknown> = { prompt: request.prompt }
  input.references.forEach((reference, index) => {
    // Raw base64, no data: prefix (docs/hosts.md, "Black Forest Labs"); extra references are input_image_2, _3, …
    body[index === 0 ? 'input_image' : `input_image_${index + 1}`] = bytesToBase64(reference.bytes)
  })
  body.aspect_ratio = input.aspectRatio
  if (seed !== undefined) body.seed = seed
  body.output_format = request.outputFormat
  if (offer.safetyTolerance !== null) body.safety_tolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (offer.promptUpsampling) body.prompt_upsampling = request.promptUpsampling ?? false
  return body
}

function registrableDomain(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return undefined
  const labels = hostname.split('.')
  if (labels.length < 2) return undefined
  const take = labels.length >= 3 && labels.at(-1)!.length === 2 && GENERIC_SECOND_LEVEL.has(labels.at(-2)!) ? 3 : 2
  return labels.slice(-take).join('.')
}

/** Whether BFL's key may be sent to `url` (see the header comment). */
export function mayReceiveBflKey(url: URL, baseUrl: string): boolean {
  const base = new URL(baseUrl)
  if (url.username !== '' || url.password !== '') return false
  if (url.origin === base.origin) return true
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false
  if (url.hostname === base.hostname && (url.protocol === base.protocol || url.protocol === 'https:')) return true
  const domain = registrableDomain(base.hostname)
  return url.protocol === 'https:' && domain !== undefined && (url.hostname === domain || url.hostname.endsWith(`.${domain}`))
}

export function createBflProvider(host: HostConfig, deps: ProviderDeps): Provider {
  const key = host.key ?? ''
  const baseUrl = host.url.replace(/\/+$/, '')

  /** Host text for the operator's log, with the key scrubbed should a host ever echo it. */
  function redact(text: string): string {
    return key.length >= 4 ? text.split(key).join('[key]') : text
  }

  function fail(code: RelayErrorCode, detail: string): AppError {
    return new AppError(code, undefined, { detail: redact(`${PROVIDER}: ${detail}`) })
  }

  function statusError(status: number, body: unknown, text: string, what: string): AppError {
    const error = hostError(PROVIDERS.bfl.name, status, codeForStatus(status), `${what}: ${describeHostBody(body, text)}`)
    return new AppError(error.code, error.message, { detail: redact(error.detail ?? '') })
  }

  /** One submission, sent again only when BFL cannot have accepted it (429, 503, never connected). */
  async function submitAsync(path: string, body: Record<string, unknown>, variant: number, signal: AbortSignal): Promise<Submitted> {
    const payload = JSON.stringify(body)
    return submitWithRetriesAsync<Submitted>(deps, signal, {
      attemptAsync: async (attempt) => {
        deps.log('provider.submit', { provider: PROVIDER, model: path, variant, attempt })
        const answer = await hostFetchAsync(
          deps.fetch,
          `${baseUrl}/v1/${path}`,
          { method: 'POST', headers: { 'x-key': key, 'content-type': 'application/json', accept: 'application/json' }, body: payload, redirect: 'manual' },
          signal
        )
        if (answer.kind === 'network') {
          // Once the request may have reached BFL it may have been accepted and billed.
          return { kind: answer.reachedHost ? 'ambiguous' : 'refused', error: fail('provider_unavailable', `submit failed: ${answer.detail}`) }
        }
        const { response } = answer
        const read = await readTextAsync(response, signal)
        if (response.ok) {
          // A 2xx means BFL took the task: whatever the body, never send it again.
          if (!read.ok) return { kind: 'ambiguous', error: fail('provider_error', `submit answered ${response.status} but the ${read.detail}`) }
          const parsed = SubmitAnswer.safeParse(parseJson(read.text))
          if (!parsed.success) return { kind: 'ambiguous', error: fail('provider_error', `submit answered ${response.status} with an unreadable body: ${read.text.slice(0, 200)}`) }
          const { id, polling_url: pollingUrl, cost } = parsed.data
          deps.log('provider.accepted', { provider: PROVIDER, hostJobId: id, variant, costCredits: cost ?? null })
          return { kind: 'accepted', value: { id, pollingUrl: pollingUrl ?? `${baseUrl}/v1/get_result?id=${encodeURIComponent(id)}`, costCredits: cost ?? undefined } }
        }
        const text = read.ok ? read.text : ''
        const error = statusError(response.status, parseJson(text), text, 'submit')
        if (response.status === 429 || response.status === 503) return { kind: 'refused', error, retryAfterMs: retryAfterMsOf(response, deps.now()) }
        return { kind: response.status >= 500 ? 'ambiguous' : 'final', error }
      },
      onRetry: ({ attempt, waitMs, error }) => deps.log('provider.retry', { provider: PROVIDER, variant, attempt, waitMs, detail: error.detail })
    })
  }

  /** Follows `polling_url` exactly as BFL gave it to a final status (BFL's integration guidelines: never rebuild it). */
  async function followAsync(job: Submitted, report: (progress: ProviderProgress) => void, signal: AbortSignal): Promise<Finished> {
    let url: URL
    try {
      url = new URL(job.pollingUrl)
    } catch {
      throw fail('provider_error', `polling_url is not a URL: ${job.pollingUrl.slice(0, 100)}`)
    }
    if (!mayReceiveBflKey(url, baseUrl)) {
      deps.log('provider.refused_polling_url', { provider: PROVIDER, hostJobId: job.id, origin: url.origin })
      throw fail('provider_error', `polling_url for ${job.id} is on ${url.origin}, where the relay does not send the key`)
    }
    let garbled = 0
    let lastStatus = ''
    return pollAsync<Finished>(async () => {
      const answer = await hostFetchAsync(deps.fetch, url.href, { headers: { 'x-key': key, accept: 'application/json' }, redirect: 'manual' }, signal)
      if (answer.kind === 'network') {
        deps.log('provider.poll_failed', { provider: PROVIDER, hostJobId: job.id, detail: redact(answer.detail) })
        return undefined
      }
      const { response } = answer
      const read = await readTextAsync(response, signal)
      const json = read.ok ? parseJson(read.text) : undefined
      const parsed = PollAnswer.safeParse(json)
      // A 404 that names a status is BFL's "Task not found"; other failures are judged by status.
      if (!response.ok && !(response.status === 404 && parsed.success)) {
        if (response.status === 429 || response.status >= 500) {
          deps.log('provider.poll_failed', { provider: PROVIDER, hostJobId: job.id, status: response.status })
          return undefined
        }
        const text = read.ok ? read.text : ''
        throw statusError(response.status, json, text, `poll of ${job.id}`)
      }
      if (!parsed.success) {
        garbled += 1
        deps.log('provider.poll_garbled', { provider: PROVIDER, hostJobId: job.id, count: garbled })
        if (garbled >= MAX_GARBLED_POLLS) throw fail('provider_error', `poll of ${job.id} answered ${garbled} times with an unreadable body: ${read.ok ? read.text.slice(0, 200) : read.detail}`)
        return undefined
      }
      garbled = 0
      const poll = parsed.data
      if (poll.status !== lastStatus) {
        lastStatus = poll.status
        deps.log('provider.status', { provider: PROVIDER, hostJobId: job.id, status: poll.status })
      }
      return interpret(job, poll, report)
    }, { signal, sleepAsync: deps.sleepAsync })
  }

  function interpret(job: Submitted, poll: PollAnswer, report: (progress: ProviderProgress) => void): Finished | undefined {
    const reasons = (): string => describeHostBody({ details: poll.details, error: poll.error }, '')
    switch (poll.status) {
      case 'Pending':
        report(typeof poll.progress === 'number' ? { status: 'running', fraction: Math.min(1, Math.max(0, poll.progress)) } : { status: 'queued' })
        return undefined
      case 'Ready': {
        const result = ReadyResult.safeParse(poll.result)
        if (!result.success) throw fail('provider_error', `${job.id} is Ready without a result.sample`)
        return { sample: result.data.sample, seed: result.data.seed ?? undefined }
      }
      case 'Request Moderated':
      case 'Content Moderated':
        throw fail('moderated', `${job.id}: ${poll.status} (${reasons()})`)
      case 'Error':
        throw fail('provider_error', `${job.id} failed at BFL (${reasons()})`)
      case 'Task not found':
        throw fail('provider_error', `${job.id}: Task not found (expired or unknown id)`)
      default:
        // A status this adapter does not know yet: keep polling; the deadline still applies.
        report({ status: 'running' })
        return undefined
    }
  }

  async function downloadAsync(job: Submitted, sample: string, signal: AbortSignal): Promise<Uint8Array> {
    try {
      // Signed URL on a delivery host: never send the key there.
      return await downloadResultAsync(sample, { fetch: deps.fetch, signal, hostBaseUrl: baseUrl })
    } catch (error) {
      if (error instanceof AppError) {
        throw new AppError(error.code, undefined, { detail: redact(`${PROVIDER}: result of ${job.id} (valid 10 minutes): ${error.detail ?? error.message}`) })
      }
      throw error
    }
  }

  return {
    id: 'bfl',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const path = input.offer.hostModelId
      if (!MODEL_PATH.test(path)) throw fail('provider_error', `hostModelId ${JSON.stringify(path)} is not a BFL endpoint path`)
      const { request, signal } = input
      // BFL makes one image a call and has no count field: one submission per variant.
      const count = request.numImages
      const seedSpan = input.offer.seedMax + 1
      const progress: Array<number | undefined> = Array.from({ length: count }, () => undefined)
      const report = (): void => {
        const known = progress.filter((value): value is number => value !== undefined)
        if (known.length === 0) input.onProgress({ status: 'queued' })
        else input.onProgress({ status: 'running', fraction: known.reduce((sum, value) => sum + value, 0) / count })
      }

      const runVariantAsync = async (variant: number): Promise<{ image: ProviderImage; job: Submitted }> => {
        const seed = request.seed === undefined ? undefined : (request.seed + variant) % seedSpan
        const job = await submitAsync(path, buildBflBody(input, seed), variant, signal)
        report()
        const finished = await followAsync(job, (state) => {
          progress[variant] = state.status === 'queued' ? undefined : (state.fraction ?? progress[variant])
          report()
        }, signal)
        const bytes = await downloadAsync(job, finished.sample, signal)
        progress[variant] = 1
        report()
        return { image: { bytes, seed: finished.seed ?? seed }, job }
      }

      const outcomes = await Promise.allSettled(Array.from({ length: count }, (_, variant) => runVariantAsync(variant)))
      if (signal.aborted) throw signal.reason
      const done = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
      for (const failure of failures) {
        deps.log('provider.variant_failed', { provider: PROVIDER, code: failure instanceof AppError ? failure.code : 'internal', detail: failure instanceof AppError ? failure.detail : redact(String(failure)) })
      }
      // Paid variants are kept even when a sibling failed; the edit fails only when none came back.
      if (done.length === 0) throw failures[0]
      const costs = done.map(({ job }) => job.costCredits)
      const costUsd = costs.every((credits): credits is number => credits !== undefined)
        ? Math.round(costs.reduce((sum, credits) => sum + credits, 0) * USD_PER_CREDIT * 1e6) / 1e6
        : undefined
      return { images: done.map(({ image }) => image), costUsd, hostJobId: done.map(({ job }) => job.id).join(',') }
    }
  }
}
