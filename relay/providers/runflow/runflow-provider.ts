import * as z from 'zod'
import { AppError, type RelayErrorCode } from '../../../shared/errors'
import type { ModelOffer } from '../../../shared/models'
import type { OutputFormat } from '../../../shared/relay-api'
import type { HostConfig } from '../../config'
import { base64ToBytes, bytesToBase64 } from '../../images/base64'
import type { ProviderDeps, ProviderEditInput, ProviderFactory, ProviderImage, ProviderResult, ReferenceImage } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { hostFetchAsync, parseJson, readTextAsync } from '../shared/host-fetch-async'
import { pollAsync } from '../shared/poll-async'
import { retryAfterMsOf, submitWithRetriesAsync } from '../shared/submit-with-retries-async'

/**
 * Runflow (host notes: docs/hosts.md, "Runflow"): `POST /v1/models/{model_id}/runs` with `{input}`
 * and Bearer auth, then `GET /v1/runs/{id}` until a terminal `status_code`; result URLs are
 * presigned and downloaded at once. The input is fal's Kontext schema (docs.runflow.io model page
 * for `black-forest-labs/flux-pro/kontext`): a ratio name, a string `safety_tolerance`, and
 * `image_urls[]` on the multi-reference model.
 *
 * Result shapes: a succeeded run's `output` is the normalized `{type: "image", outputs: [{url}]}`
 * (docs.runflow.io/concepts/runs). The official JS SDK (runflow-io/runflow-js,
 * packages/sdk/src/tools/outputs.ts) reads `outputs[].url`, then `image_urls[]` (older models),
 * and for one image also `image.url`, `url`, `output_url`; the adapter reads them all in that
 * order. The SDK names no seed in any shape; the adapter keeps the seed it sent (or fal's
 * `output.seed` where an older output still carries it).
 *
 * Failures: the SDK's run type (packages/sdk/src/types.ts) has `error: {code, message}`; the docs'
 * older run record has `failure_code` / `failure_message`. Both are read. `partial_succeeded`
 * (docs.runflow.io/concepts/runs; not in the SDK's `RunStatus` union) delivers the images its
 * `outputs[]` holds, and `cost` bills those.
 *
 * References go through the asset upload (packages/sdk/src/assets.ts: create, PUT without auth,
 * confirm) and are named `runflow://assets/{id}`, the SDK's `UploadedAsset.ref`, which its
 * CHANGELOG (0.1.1) recommends as model input because the API resolves it at dispatch. Inline data
 * URIs are not confirmed for models (the SDK's 0.1.0 CHANGELOG says models rejected them with a
 * 422), so they are sent only for references smaller than RUNFLOW_INLINE_MAX_BYTES (default 0:
 * never).
 *
 * Runflow lets nobody but an admin cancel a run, and even that neither stops nor refunds it
 * (docs.runflow.io/guides/cancel-a-run), so an abort only stops polling. A create is sent again only
 * when Runflow cannot have taken it: a 429, a 503, or a connection that never opened; nothing
 * documents idempotency.
 */

const PROVIDER = 'runflow'
const HOST_NAME = 'Runflow'

const OUTPUT_FORMATS: Partial<Record<OutputFormat, 'png' | 'jpeg'>> = { png: 'png', jpeg: 'jpeg' }
const EXTENSIONS: Record<ReferenceImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

/**
 * Error bodies: `{"code","message","errors"}` with `errors[]` on 422 (docs.runflow.io/concepts/errors),
 * or the nested `{"error": {"code","message"}}` the SDK's client reads (packages/sdk/src/client.ts).
 */
const ErrorEnvelope = z.object({
  code: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  errors: z.array(z.unknown()).nullable().optional().catch(undefined),
  error: z
    .object({ code: z.string().optional().catch(undefined), message: z.string().optional().catch(undefined) })
    .optional()
    .catch(undefined)
})

/** One entry of the normalized `outputs[]`: only its `url` is read, as the SDK does. */
const OutputItem = z.object({ url: z.string().min(1).optional().catch(undefined) }).catch({})

/** Every output shape the SDK reads (packages/sdk/src/tools/outputs.ts), and fal's `seed`. */
const RunOutput = z.object({
  outputs: z.array(OutputItem).optional().catch(undefined),
  image_urls: z.array(z.unknown()).optional().catch(undefined),
  image: z
    .object({ url: z.string().min(1).optional().catch(undefined) })
    .nullable()
    .optional()
    .catch(undefined),
  url: z.string().min(1).optional().catch(undefined),
  output_url: z.string().min(1).optional().catch(undefined),
  seed: z.number().int().nonnegative().optional().catch(undefined)
})
type RunOutput = z.infer<typeof RunOutput>

/** The SDK's order: the first shape that yields a URL wins (`extractAllImageUrls`, then `extractFirstImageUrl`). */
const IMAGE_URL_SHAPES: ReadonlyArray<(output: RunOutput) => string[]> = [
  (output) => (output.outputs ?? []).flatMap((item) => (item.url === undefined ? [] : [item.url])),
  (output) => (output.image_urls ?? []).filter((url): url is string => typeof url === 'string' && url !== ''),
  (output) => (output.image?.url === undefined ? [] : [output.image.url]),
  (output) => (output.url === undefined ? [] : [output.url]),
  (output) => (output.output_url === undefined ? [] : [output.output_url])
]

/** The SDK's `Run.error` (packages/sdk/src/types.ts). */
const RunError = z.object({
  code: z.string().nullable().optional().catch(undefined),
  message: z.string().nullable().optional().catch(undefined)
})

/** Only what the adapter reads; everything else in the run record is ignored. */
const Run = z.object({
  id: z.string().min(1),
  status_code: z.string().min(1),
  output: RunOutput.nullable().optional().catch(null),
  cost: z.union([z.string(), z.number()]).nullable().optional().catch(null),
  error: RunError.nullable().optional().catch(null),
  // The docs' older run record.
  failure_code: z.string().nullable().optional().catch(null),
  failure_message: z.string().nullable().optional().catch(null)
})
type Run = z.infer<typeof Run>

const AssetUpload = z.object({ asset_id: z.string().min(1), upload_url: z.string().min(1) })
/** The confirmed Asset: only its `id` is read (the SDK's `ref` is built from it). */
const Asset = z.object({ id: z.string().min(1).optional().catch(undefined) })

const QUEUED = new Set(['queued', 'dispatching'])
const RUNNING = new Set(['running'])
const SUCCEEDED = new Set(['succeeded', 'partial_succeeded'])
const FAILED = new Set(['failed'])
// The run record spells it "canceled"; one docs version says "cancelled". Both are terminal.
const CANCELED = new Set(['canceled', 'cancelled'])

/**
 * Failed runs (`error.code` / `error.message`, or the older `failure_code` / `failure_message`),
 * first match wins. Runflow lists no moderation code; fal's is `content_policy_violation`, so
 * content/NSFW/safety wording counts.
 */
const FAILURE_RULES: ReadonlyArray<{ match: RegExp; code: RelayErrorCode }> = [
  { match: /CONTENT_?POLICY|CONTENT_?(MODERAT|FILTER|FLAG|BLOCK|VIOLATION)|MODERAT|NSFW|SAFETY|content polic|content checker/i, code: 'moderated' },
  { match: /INSUFFICIENT_CREDIT|BALANCE|QUOTA/i, code: 'insufficient_credit' },
  { match: /RATE_LIMIT/i, code: 'rate_limited' },
  { match: /TIME_?OUT|TIMED_OUT|DEADLINE/i, code: 'timeout' },
  { match: /UNAVAILABLE|OUTAGE|CAPACITY|OVERLOAD/i, code: 'provider_unavailable' }
]

/** Error envelopes by `code` first, then by status (docs.runflow.io/concepts/errors). */
const CODE_RULES: Readonly<Record<string, RelayErrorCode>> = {
  UNAUTHORIZED: 'provider_not_configured',
  PERMISSION_DENIED: 'provider_not_configured',
  EMAIL_NOT_VERIFIED: 'provider_not_configured',
  INSUFFICIENT_CREDIT: 'insufficient_credit',
  RATE_LIMITED: 'rate_limited',
  MODEL_UNAVAILABLE: 'provider_unavailable'
}

function envelopeError(status: number, text: string, retryAfterMs: number | undefined): AppError {
  const json = parseJson(text)
  const envelope = ErrorEnvelope.safeParse(json)
  const hostCode = envelope.success ? (envelope.data.code ?? envelope.data.error?.code) : undefined
  const hostMessage = envelope.success ? (envelope.data.message ?? envelope.data.error?.message) : undefined
  const code = (hostCode !== undefined ? CODE_RULES[hostCode] : undefined) ?? codeForStatus(status)
  const fieldErrors = envelope.success && envelope.data.errors ? ` errors: ${JSON.stringify(envelope.data.errors).slice(0, 300)}` : ''
  const described = hostCode !== undefined ? `${hostCode}: ${(hostMessage ?? '').slice(0, 300)}` : describeHostBody(json, text)
  const error = hostError(HOST_NAME, status, code, `${described}${fieldErrors}`)
  if (code === 'rate_limited' && retryAfterMs !== undefined) {
    return new AppError(code, error.message, { detail: error.detail, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) })
  }
  return error
}

/** The failure in either form: the SDK's `error` first, then the older `failure_*` fields. */
function failureOf(run: Run): { code: string | undefined; message: string | undefined } {
  return { code: run.error?.code ?? run.failure_code ?? undefined, message: run.error?.message ?? run.failure_message ?? undefined }
}

function failureError(run: Run): AppError {
  const failure = failureOf(run)
  const code = FAILURE_RULES.find((rule) => rule.match.test(`${failure.code ?? ''} ${failure.message ?? ''}`))?.code ?? 'provider_error'
  return new AppError(code, undefined, {
    detail: `runflow run ${run.id} failed: ${failure.code ?? '(no error code)'}: ${(failure.message ?? '').slice(0, 300)}`
  })
}

/** Every image URL of a finished run, in the SDK's order of shapes. */
function imageUrlsOf(output: RunOutput | null | undefined): string[] {
  if (output === null || output === undefined) return []
  for (const shape of IMAGE_URL_SHAPES) {
    const urls = shape(output)
    if (urls.length > 0) return urls
  }
  return []
}

/** RUNFLOW_INLINE_MAX_BYTES from the host's settings: references smaller than this go inline; 0 (the default) uploads all. */
export function inlineMaxBytesOf(host: HostConfig): number {
  const value = Number(host.settings.RUNFLOW_INLINE_MAX_BYTES ?? '')
  return Number.isInteger(value) && value >= 0 ? value : 0
}

function parseCostUsd(cost: Run['cost']): number | undefined {
  if (cost === null || cost === undefined) return undefined
  const value = typeof cost === 'number' ? cost : Number(cost.trim().replace(/^\$/, ''))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

function dataUri(reference: ReferenceImage): string {
  return `data:${reference.contentType};base64,${bytesToBase64(reference.bytes)}`
}

/** Relay 0…6 → Runflow's string "1"…"6" (0 clamps to "1", the strictest; fal's schema, docs.runflow.io model page). */
function safetyString(value: number): string {
  return String(Math.min(6, Math.max(1, Math.round(value))))
}

/**
 * The run input (docs.runflow.io model page), from the offer's data: `guidance_scale`,
 * `safety_tolerance` and `enhance_prompt` only where the offer has them, with its defaults where the
 * client set none.
 */
export function buildRunflowInput(
  input: ProviderEditInput,
  images: readonly string[],
  numImages: number,
  seed: number | undefined
): Record<string, unknown> {
  const { request, offer } = input
  const format = OUTPUT_FORMATS[request.outputFormat]
  if (format === undefined) throw new AppError('invalid_request', `Runflow returns png or jpeg, not ${request.outputFormat}.`)
  const body: Record<string, unknown> = { prompt: request.prompt }
  if (images.length > 1) body.image_urls = [...images]
  else body.image_url = images[0]
  body.aspect_ratio = input.aspectRatio
  body.num_images = numImages
  if (offer.guidance !== null) body.guidance_scale = request.guidance ?? offer.guidance.default
  body.output_format = format
  if (offer.safetyTolerance !== null) body.safety_tolerance = safetyString(request.safetyTolerance ?? offer.safetyTolerance.default)
  if (offer.promptUpsampling) body.enhance_prompt = request.promptUpsampling ?? false
  if (seed !== undefined) body.seed = seed
  // Results come back as presigned URLs (downloaded at once), not as data URIs in every poll.
  body.sync_mode = false
  return body
}

/** The model path: the multi-reference model from 2 references on; segments kept, each encoded (as the SDK's `encodeModelId`). */
function modelPathFor(offer: ModelOffer, references: number): string {
  const id = references > 1 ? offer.multiHostModelId : offer.hostModelId
  if (id === undefined) {
    throw new AppError('internal', undefined, { detail: `runflow offer ${offer.hostModelId} has no multiHostModelId for ${references} references` })
  }
  return id
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/')
}

/** Variants per host call: `numImages` split by the offer's `variantsPerCall`. */
function splitVariants(numImages: number, perCall: number): number[] {
  const counts: number[] = []
  for (let left = numImages; left > 0; left -= Math.max(1, perCall)) counts.push(Math.min(Math.max(1, perCall), left))
  return counts
}

/** `status` 0: no HTTP answer. */
type ApiOutcome = { ok: true; json: unknown; status: number } | { ok: false; status: number; error: AppError; retry: boolean; waitMs: number | undefined }

export const createRunflowProvider: ProviderFactory = (host, deps: ProviderDeps) => {
  const baseUrl = host.url
  const inlineMaxBytes = inlineMaxBytesOf(host)
  const hostOrigin = new URL(baseUrl).origin
  const authHeaders = (): Record<string, string> => ({ authorization: `Bearer ${host.key ?? ''}`, accept: 'application/json' })

  /** One JSON call to the API; tells a refusal worth retrying (429, 503, never connected) from the rest. */
  async function callOnceAsync(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<ApiOutcome> {
    const headers = authHeaders()
    if (body !== undefined) headers['content-type'] = 'application/json'
    const init: RequestInit = body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) }
    const answer = await hostFetchAsync(deps.fetch, `${baseUrl}${path}`, init, signal)
    if (answer.kind === 'network') {
      return {
        ok: false,
        status: 0,
        error: new AppError('provider_unavailable', undefined, { detail: `runflow ${method} ${path.split('/').slice(0, 3).join('/')}: ${answer.detail}` }),
        retry: !answer.reachedHost,
        waitMs: undefined
      }
    }
    const { response } = answer
    const text = await readTextAsync(response, signal)
    if (!text.ok) {
      // Cut off mid-answer: the host may have acted on the request.
      return {
        ok: false,
        status: response.status,
        error: new AppError('provider_unavailable', undefined, { detail: `runflow ${response.status}: ${text.detail}` }),
        retry: false,
        waitMs: undefined
      }
    }
    if (response.ok) {
      const json = parseJson(text.text)
      if (json === undefined) {
        return {
          ok: false,
          status: response.status,
          error: new AppError('provider_error', undefined, { detail: `runflow answered ${response.status} with a body that is not JSON` }),
          retry: false,
          waitMs: undefined
        }
      }
      return { ok: true, json, status: response.status }
    }
    const waitMs = retryAfterMsOf(response, deps.now())
    return { ok: false, status: response.status, error: envelopeError(response.status, text.text, waitMs), retry: response.status === 429 || response.status === 503, waitMs }
  }

  /** A POST that creates something: sent again only after a refusal. */
  async function createAsync(path: string, body: unknown, signal: AbortSignal, event: string, fields: Record<string, unknown>): Promise<unknown> {
    return submitWithRetriesAsync<unknown>(deps, signal, {
      attemptAsync: async (attempt) => {
        deps.log(event, { provider: PROVIDER, ...fields, attempt })
        const outcome = await callOnceAsync('POST', path, body, signal)
        if (outcome.ok) return { kind: 'accepted', value: outcome.json }
        deps.log('provider.refused', { provider: PROVIDER, ...fields, attempt, code: outcome.error.code, retry: outcome.retry, detail: outcome.error.detail })
        // Runflow cannot be asked whether it took a create, so one that may have reached it is never sent again.
        return outcome.retry ? { kind: 'refused', error: outcome.error, retryAfterMs: outcome.waitMs } : { kind: 'final', error: outcome.error }
      }
    })
  }

  /** The SDK's upload (packages/sdk/src/assets.ts): create, PUT the bytes without auth, confirm; returns the asset's `runflow://assets/{id}` ref. */
  async function uploadAsync(reference: ReferenceImage, index: number, signal: AbortSignal): Promise<string> {
    const created = AssetUpload.safeParse(
      await createAsync(
        '/v1/asset-uploads',
        { filename: `reference-${index + 1}.${EXTENSIONS[reference.contentType]}`, mime_type: reference.contentType, size_bytes: reference.bytes.byteLength },
        signal,
        'provider.upload',
        { reference: index + 1, bytes: reference.bytes.byteLength }
      )
    )
    if (!created.success) throw new AppError('provider_error', undefined, { detail: 'runflow asset-upload answer lacks asset_id/upload_url' })
    const { asset_id: assetId, upload_url: uploadUrl } = created.data
    if (!isAllowedHostUrl(uploadUrl)) throw new AppError('provider_error', undefined, { detail: `runflow upload_url refused (not https): ${originOf(uploadUrl)}` })

    // The presigned URL carries its own credentials: no Authorization header (the SDK's `rawFetch`).
    const put = await hostFetchAsync(
      deps.fetch,
      uploadUrl,
      { method: 'PUT', headers: { 'content-type': reference.contentType }, body: reference.bytes.slice() },
      signal
    )
    if (put.kind === 'network') throw new AppError('provider_unavailable', undefined, { detail: `runflow asset PUT: ${put.detail}` })
    if (!put.response.ok) {
      const text = await readTextAsync(put.response, signal)
      const status = put.response.status
      throw new AppError(status >= 500 ? 'provider_unavailable' : 'provider_error', undefined, {
        detail: `runflow asset PUT answered ${status}${status === 403 ? ' (presigned URL expired?)' : ''}: ${text.ok ? text.text.slice(0, 200) : text.detail}`
      })
    }
    await readTextAsync(put.response, signal)

    const asset = Asset.safeParse(
      await createAsync(`/v1/asset-uploads/${encodeURIComponent(assetId)}/confirmations`, {}, signal, 'provider.upload_confirm', { reference: index + 1 })
    )
    if (!asset.success) throw new AppError('provider_error', undefined, { detail: 'runflow asset confirmation is not an Asset' })
    return `runflow://assets/${asset.data.id ?? assetId}`
  }

  function isAllowedHostUrl(value: string): boolean {
    try {
      const url = new URL(value)
      return url.protocol === 'https:' || (url.protocol === 'http:' && url.origin === hostOrigin)
    } catch {
      return false
    }
  }

  /** GET the run until it ends. Poll failures (network, 429, 5xx, garbled bodies) are retried until the deadline. */
  async function followAsync(created: Run, signal: AbortSignal, onStatus: (status: string) => void): Promise<Run> {
    let latest: Run | undefined = created
    let unknownLogged = false
    return pollAsync(
      async () => {
        const run = latest ?? (await getRunAsync(created.id, signal))
        latest = undefined
        if (run === undefined) return undefined
        const status = run.status_code
        if (SUCCEEDED.has(status) || FAILED.has(status) || CANCELED.has(status)) return run
        if (!QUEUED.has(status) && !RUNNING.has(status) && !unknownLogged) {
          unknownLogged = true
          deps.log('provider.unknown_status', { provider: PROVIDER, runId: created.id, status: status.slice(0, 40) })
        }
        onStatus(status)
        return undefined
      },
      { signal, sleepAsync: deps.sleepAsync }
    )
  }

  async function getRunAsync(runId: string, signal: AbortSignal): Promise<Run | undefined> {
    const outcome = await callOnceAsync('GET', `/v1/runs/${encodeURIComponent(runId)}`, undefined, signal)
    if (!outcome.ok) {
      const code = outcome.error.code
      // A revoked key or a vanished run will not come right by asking again.
      if (code === 'provider_not_configured' || outcome.status === 404) throw outcome.error
      deps.log('provider.poll_retry', { provider: PROVIDER, runId, code, detail: outcome.error.detail })
      return undefined
    }
    const run = Run.safeParse(outcome.json)
    if (!run.success || run.data.id !== runId) {
      deps.log('provider.poll_retry', { provider: PROVIDER, runId, detail: 'run record not readable' })
      return undefined
    }
    return run.data
  }

  async function imagesOfAsync(run: Run, seed: number | undefined, signal: AbortSignal): Promise<ProviderImage[]> {
    const urls = imageUrlsOf(run.output)
    if (urls.length === 0) throw new AppError('provider_error', undefined, { detail: `runflow run ${run.id} ${run.status_code} without an image URL in its output` })
    if (run.status_code === 'partial_succeeded') deps.log('provider.partial_run', { provider: PROVIDER, runId: run.id, images: urls.length })
    const firstSeed = run.output?.seed ?? seed
    const bytes = await Promise.all(urls.map((url) => downloadAsync(url, signal)))
    // One seed per call: it reproduces the call's first image (fal's batch shares it).
    return bytes.map((image, index) => ({ bytes: image, seed: index === 0 ? firstSeed : undefined }))
  }

  async function downloadAsync(url: string, signal: AbortSignal): Promise<Uint8Array> {
    const inline = /^data:[^;,]+;base64,(.*)$/s.exec(url)
    if (inline !== null) return base64ToBytes(inline[1] ?? '')
    return downloadResultAsync(url, { fetch: deps.fetch, signal, hostBaseUrl: baseUrl })
  }

  interface CallResult {
    images: ProviderImage[]
    costUsd: number | undefined
    runId: string
  }

  async function runCallAsync(
    input: ProviderEditInput,
    modelPath: string,
    images: readonly string[],
    numImages: number,
    seed: number | undefined,
    onStatus: (status: string) => void
  ): Promise<CallResult> {
    const body = { input: buildRunflowInput(input, images, numImages, seed) }
    const answer = await createAsync(`/v1/models/${modelPath}/runs`, body, input.signal, 'provider.submit', { model: input.model, numImages })
    const created = Run.safeParse(answer)
    // Accepted (2xx) but unreadable: it may run and bill, so it is never sent again.
    if (!created.success) throw new AppError('provider_error', undefined, { detail: 'runflow accepted the run with a body that is not a run record' })
    deps.log('provider.submitted', { provider: PROVIDER, runId: created.data.id, status: created.data.status_code.slice(0, 40) })
    const run = await followAsync(created.data, input.signal, onStatus)
    deps.log('provider.finished', { provider: PROVIDER, runId: run.id, status: run.status_code, failureCode: failureOf(run).code })
    if (FAILED.has(run.status_code)) throw failureError(run)
    if (CANCELED.has(run.status_code)) throw new AppError('canceled', undefined, { detail: `runflow run ${run.id} was canceled at the host` })
    return { images: await imagesOfAsync(run, seed, input.signal), costUsd: parseCostUsd(run.cost), runId: run.id }
  }

  return {
    id: 'runflow',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const { request, offer, signal } = input
      const modelPath = modelPathFor(offer, input.references.length)
      const images = await Promise.all(
        input.references.map((reference, index) => (reference.bytes.byteLength < inlineMaxBytes ? dataUri(reference) : uploadAsync(reference, index, signal)))
      )

      const counts = splitVariants(request.numImages, offer.variantsPerCall)
      const states = counts.map(() => 'queued')
      let reported: string | undefined
      const report = (): void => {
        const status = states.some((state) => RUNNING.has(state)) ? 'running' : 'queued'
        if (status === reported) return
        reported = status
        input.onProgress({ status })
      }
      report()

      let offset = 0
      const calls = counts.map((count, index) => {
        const seed = request.seed === undefined ? undefined : (request.seed + offset) % (offer.seedMax + 1)
        offset += count
        return runCallAsync(input, modelPath, images, count, seed, (status) => {
          states[index] = status
          report()
        })
      })
      const settled = await Promise.allSettled(calls)
      if (signal.aborted) throw signal.reason
      const done = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      const failed = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
      // Paid variants are kept even when a sibling call failed.
      if (done.length === 0) throw failed[0]
      if (failed.length > 0) {
        deps.log('provider.partial', { provider: PROVIDER, calls: counts.length, failed: failed.length, codes: failed.map((error) => (error instanceof AppError ? error.code : 'unknown')) })
      }
      const costs = done.map((call) => call.costUsd)
      const costUsd = failed.length === 0 && costs.every((cost) => cost !== undefined) ? Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6 : undefined
      return { images: done.flatMap((call) => call.images), costUsd, hostJobId: done.map((call) => call.runId).join(',') }
    }
  }
}

function originOf(value: string): string {
  try {
    return new URL(value).origin
  } catch {
    return '(not a URL)'
  }
}
