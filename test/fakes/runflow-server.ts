/**
 * A strict fake of Runflow's API (api.runflow.io), limited to what the relay uses: creating a run
 * of a FLUX.1 Kontext model, polling it, the three-step asset upload, and the presigned storage
 * behind result and upload URLs. It refuses what the real API refuses, so a relay bug (a number
 * where Runflow wants the string `safety_tolerance`, a field fal does not take, `image_url` on the
 * multi model, an `asset://` reference) fails a test. Host notes: docs/hosts.md, "Runflow".
 *
 * Sources, behaviour by behaviour ("SDK" is runflow-io/runflow-js, packages/sdk/src/…):
 * - Auth `Authorization: Bearer <key>`, 401 UNAUTHORIZED otherwise: SDK client.ts;
 *   docs.runflow.io/concepts/authentication.
 * - Routes `POST /v1/models/{model_id}/runs` (multi-segment ids) and `GET /v1/runs/{id}`: SDK
 *   client.ts (`ModelsResource.run`, `RunsResource.get`). Create body `{input, callback_url,
 *   metadata, client_ref}`: docs.runflow.io/api-reference/runs and SDK tools/run.ts (`client_ref`,
 *   `metadata`).
 * - Run input: fal's Kontext schema, as on docs.runflow.io/models/black-forest-labs/flux-pro/kontext
 *   (single models `image_url`, multi models `image_urls`; unknown keys 422, as fal does). The
 *   `/max` and `/multi` ids are not documented (docs/hosts.md lists them as configuration).
 * - Statuses queued → dispatching → running → succeeded | partial_succeeded | failed | canceled,
 *   over `latencyMs` (0: terminal at the first GET); the create answers 201 at `queued`:
 *   docs.runflow.io/concepts/runs. (The SDK's `RunStatus` union in types.ts lists only queued,
 *   running, succeeded, failed, canceled.)
 * - Result `output`, by `outputShape`: `outputs` (default) is the normalized
 *   `{type: "image", outputs: [{url}]}` of docs.runflow.io/concepts/runs, read first by the SDK's
 *   tools/outputs.ts; `image_urls` is the older shape the SDK falls back to; `image` (`{image:
 *   {url}}`), `url` and `output_url` are the single-image shapes its `extractFirstImageUrl` also
 *   accepts, and carry only the first image. No shape carries a seed: the SDK names none.
 * - `partial_succeeded` (fault `partial`): `outputs[]` holds only the images that landed, and `cost`
 *   bills those: docs.runflow.io/concepts/runs ("read what outputs[] holds").
 * - Failures, by `runErrorForm`: `error` (default) is the SDK's `error: {code, message}` (types.ts);
 *   `failure_fields` is the older record's `failure_code` / `failure_stage` / `failure_message`
 *   (docs.runflow.io/api-reference/runs/get-run). Moderation's code `CONTENT_POLICY_VIOLATION` is
 *   this fake's choice (fal's `content_policy_violation` in Runflow's upper-case style): Runflow
 *   documents none.
 * - Error bodies, by `httpErrorForm`: `flat` (default) `{"code","message","errors"}` with
 *   `errors[]` on 422 (docs.runflow.io/concepts/errors); `nested` `{"error": {"code","message"}}`,
 *   the shape SDK client.ts parses. Codes per status: docs.runflow.io/concepts/errors.
 * - Asset upload: `POST /v1/asset-uploads` `{filename, mime_type, size_bytes ≤ 50 MiB}` → 201
 *   `{asset_id, upload_url}`; PUT the bytes without auth; `POST /v1/asset-uploads/{id}/confirmations`
 *   (optional body, `folder_id` may be null as the SDK sends it) → 201 Asset with a signed `url`:
 *   SDK assets.ts; docs.runflow.io/guides/upload-large-files.
 * - References in a run input: a confirmed asset named `runflow://assets/{id}` (the SDK's
 *   `UploadedAsset.ref`; its CHANGELOG 0.1.1 says the API resolves refs at dispatch), or by the
 *   Asset's signed `url` (SDK assets.ts: "every model accepts HTTP(S) media URLs"). With
 *   `assetRefs: false` a ref is refused as before that change ("media URL must use HTTP(S) or data
 *   URI, got 'runflow'", docs/plans/run-384-sdk-gaps/backend-contract.md in the SDK repo).
 *   `asset://` is not a form Runflow knows: 422. Data URIs are accepted (the backend materializes
 *   them to assets, backend-contract.md) unless `dataUris: false`, which refuses them as the SDK's
 *   CHANGELOG 0.1.0 reports models did. Other URLs: this fake fetches nothing (400 FAKE_UNSUPPORTED).
 * - Presigned URLs (uploads and results) live under /storage/ on this server. Like S3 they refuse
 *   a request that also carries an Authorization header (400), and answer 403 once expired (the
 *   SDK's `rawFetch` sends no auth to them).
 * - A queued fault is used only by a run create that passed validation, so a bad request still
 *   gets its 422.
 *
 * The faults every fake shares (test/fakes/host-fault.ts), as they meet a run create here:
 * - `status`: the create is refused with that status and the error body of its code
 *   (docs.runflow.io/concepts/errors: 429 RATE_LIMITED, 503 MODEL_UNAVAILABLE, …), `Retry-After`
 *   when given; no run exists, nothing is billed.
 * - `reset`: the socket is destroyed before the create is taken; no run, nothing billed.
 * - `hang`: the create is never answered and no run exists, until the fake closes.
 * - `reset-after-accept`: the run is created (billed, counted in submissions()), then the socket
 *   is destroyed instead of the 201.
 * - `malformed`: the run is created (billed) and its 201 (the create's status,
 *   docs.runflow.io/api-reference/runs) carries a body cut off mid-JSON, so the client cannot read
 *   the run id it would poll.
 * - `truncated-image`: the run succeeds, and its presigned result files answer 200 with the first
 *   half of the image (this fake's stand-in for a download cut short; Runflow documents none).
 * `duplicates()` of the relay's handle is always 0: Runflow documents no idempotency key (nothing
 * says `client_ref`, SDK tools/run.ts, is one) and the relay sends none, so a second create of the
 * same edit cannot be told from a new edit.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { imageSize } from 'image-size'
import * as z from 'zod'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { FaultQueue, type HostFault } from './host-fault'
import {
  closeServerAsync,
  copyHeaders,
  decodeStrictBase64,
  deliverReply,
  hasJsonContentType,
  jsonReply,
  listenOnLoopbackAsync,
  parseDataUri,
  parseJsonBody,
  readBodyAsync,
  sendReply,
  type FakeHostHandle,
  type FakeHostOptions,
  type FakeReply,
  type ParsedJsonBody
} from './fake-http'
import { makeJpeg, makePng } from './make-image'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * What the next valid run create meets. "billed" = counted in submissions(). The common kinds
 * (HostFault) are described in the header; Runflow's own follow.
 */
export type RunflowFault =
  | HostFault
  | { kind: 'status'; status: number; code: string; retryAfterSeconds?: number } // a refusal with this error code in its body
  | { kind: 'moderation' } // accepted; the run fails with CONTENT_POLICY_VIOLATION
  | { kind: 'fail'; failureCode: string; failureMessage: string; failureStage?: string } // accepted; the run fails so
  | { kind: 'stall' } // accepted; the run stays `running` for ever
  | { kind: 'canceled' } // accepted; the run ends `canceled` (an admin cancellation)
  | { kind: 'partial' } // accepted; `partial_succeeded` with only the first image
  | { kind: 'expired-results' } // accepted; its result URLs answer 403 (presigned URL expired)

/** What the next GET /v1/runs/{id} meets (transient; the run itself is unharmed). */
export type RunflowPollFault = { kind: 'status'; status: 404 | 429 | 500 | 502 | 503 } | { kind: 'malformed' } | { kind: 'reset' }

/** What the next asset upload meets. */
export type RunflowUploadFault = { kind: 'status'; status: 402 | 429 | 503; retryAfterSeconds?: number } | { kind: 'expired-url' }

/** Kontext's single and multi models; `klein`: fal's [klein] edit schema (see `KleinInput`). */
export type RunflowModelKind = 'single' | 'multi' | 'klein'

/** Where a succeeded run's image URLs sit in `output` (see the header). */
export type RunflowOutputShape = 'outputs' | 'image_urls' | 'image' | 'url' | 'output_url'

export interface FakeRunflowOptions {
  apiKey: string
  /** from accepted to terminal (default 0: terminal at the first poll) */
  latencyMs?: number
  /** USD per generated image, reported as the string `cost` (default 0.08) */
  costPerImage?: number
  /** model ids the fake serves (default: the catalogue's four Kontext ids) */
  models?: Record<string, RunflowModelKind>
  /** where image URLs sit in a succeeded run's `output` (default `outputs`, the normalized payload) */
  outputShape?: RunflowOutputShape
  /** how a failed run reports why (default `error`, the SDK's `error: {code, message}`) */
  runErrorForm?: 'error' | 'failure_fields'
  /** the shape of error bodies (default `flat`, `{"code","message","errors"}`) */
  httpErrorForm?: 'flat' | 'nested'
  /** run inputs may name assets `runflow://assets/{id}` (default true) */
  assetRefs?: boolean
  /** run inputs may carry data URIs (default true) */
  dataUris?: boolean
}

export interface RecordedRequest {
  method: string
  /** path without the query */
  path: string
  headers: Record<string, string>
  /** parsed JSON body, or null */
  body: unknown
  bytes: number
}

export interface AcceptedRun {
  id: string
  /** the model id from the path, e.g. black-forest-labs/flux-pro/kontext/max */
  modelId: string
  /** the create body exactly as received */
  body: Record<string, unknown>
}

export interface FakeAsset {
  id: string
  filename: string
  mimeType: string
  sizeBytes: number
  uploaded: boolean
  confirmed: boolean
  /** the Authorization header the PUT carried, if any */
  putAuthorization: string | undefined
  /** the bytes stored by the PUT, if any */
  bytes: Uint8Array | null
}

export interface FakeRunflow {
  /** origin, e.g. http://127.0.0.1:PORT (the value for RUNFLOW_API_URL) */
  url: string
  apiKey: string
  /** accepted (billable) runs, in order */
  readonly runs: ReadonlyArray<AcceptedRun>
  submissions(): number
  readonly requests: ReadonlyArray<RecordedRequest>
  readonly assets: ReadonlyArray<FakeAsset>
  /** GETs of a run so far */
  polls(runId?: string): number
  failNext(fault: RunflowFault, times?: number): void
  failNextPoll(fault: RunflowPollFault, times?: number): void
  failNextUpload(fault: RunflowUploadFault, times?: number): void
  setLatency(ms: number): void
  close(): Promise<void>
}

export const DEFAULT_RUNFLOW_MODELS: Readonly<Record<string, RunflowModelKind>> = {
  'black-forest-labs/flux-pro/kontext': 'single',
  'black-forest-labs/flux-pro/kontext/max': 'single',
  'black-forest-labs/flux-pro/kontext/multi': 'multi',
  'black-forest-labs/flux-pro/kontext/max/multi': 'multi',
  'black-forest-labs/flux-2-klein-9b/edit': 'klein'
}

export async function startFakeRunflowAsync(options: FakeRunflowOptions): Promise<FakeRunflow> {
  const fake = new FakeRunflowServer(options)
  await fake.listen()
  return fake
}

/** The uniform handle for the cross-host tests; `duplicates()` is 0 (see the header). */
export async function startRunflowForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeRunflowAsync({
    apiKey: `rf_live_fake_${randomUUID()}`,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs })
  })
  return {
    env: { RUNFLOW_API_KEY: fake.apiKey, RUNFLOW_API_URL: fake.url },
    submissions: () => fake.submissions(),
    duplicates: () => 0,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Contract (docs.runflow.io model page, guides/upload-large-files, concepts/errors)
// ---------------------------------------------------------------------------------------------

const RATIOS = KONTEXT_SIZES.map((size) => size.ratio) as [string, ...string[]]
const DEFAULT_COST_PER_IMAGE = 0.08
/** `size_bytes` 1 … 52,428,800 (SDK assets.ts `MAX_UPLOAD_BYTES`). */
const MAX_ASSET_BYTES = 52_428_800
const ASSET_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const

/** fal's flux-pro/kontext schema (docs.runflow.io model page); strict like fal. */
const CommonInput = {
  prompt: z.string().min(1),
  aspect_ratio: z.enum(RATIOS).optional(),
  num_images: z.int().min(1).max(4).default(1),
  guidance_scale: z.number().min(1).max(20).default(3.5),
  output_format: z.enum(['jpeg', 'png']).default('jpeg'),
  safety_tolerance: z.enum(['1', '2', '3', '4', '5', '6']).default('2'),
  enhance_prompt: z.boolean().default(false),
  seed: z.int().min(0).optional(),
  sync_mode: z.boolean().default(false)
}
const SingleInput = z.strictObject({ ...CommonInput, image_url: z.string().min(1) })
const MultiInput = z.strictObject({ ...CommonInput, image_urls: z.array(z.string().min(1)).min(1) })
/**
 * fal's [klein] edit schema, as docs.runflow.io lists it for `black-forest-labs/flux-2-klein-9b/edit`
 * (prompt, image_urls required, seed, num_inference_steps default 4, image_size, num_images, sync_mode,
 * enable_safety_checker, output_format jpeg|png|webp default png) with fal-js `Flux2Klein4bEditInput`'s
 * details: at most 4 images; `image_size` a preset or `{width, height}`, the input's size when left
 * out. Steps 4–8 and num_images 1–4 as fal's klein pages. No safety_tolerance, guidance_scale,
 * aspect_ratio or enhance_prompt: unknown keys 422, as fal does.
 */
const KleinInput = z.strictObject({
  prompt: z.string().min(1),
  image_urls: z.array(z.string().min(1)).min(1).max(4),
  image_size: z
    .union([
      z.enum(['square_hd', 'square', 'portrait_4_3', 'portrait_16_9', 'landscape_4_3', 'landscape_16_9']),
      z.strictObject({ width: z.int().min(1).max(14142), height: z.int().min(1).max(14142) })
    ])
    .optional(),
  num_images: z.int().min(1).max(4).default(1),
  num_inference_steps: z.int().min(4).max(8).default(4),
  output_format: z.enum(['jpeg', 'png', 'webp']).default('png'),
  seed: z.int().min(0).optional(),
  sync_mode: z.boolean().default(false),
  enable_safety_checker: z.boolean().default(true)
})
type RunInput = z.infer<typeof SingleInput> | z.infer<typeof MultiInput> | z.infer<typeof KleinInput>
type KleinRunInput = z.infer<typeof KleinInput>
/** Only klein's input has `enable_safety_checker` (always set once parsed: it has a default). */
const isKlein = (input: RunInput): input is KleinRunInput => 'enable_safety_checker' in input
const INPUT_SCHEMAS: Record<RunflowModelKind, z.ZodType<RunInput>> = { single: SingleInput, multi: MultiInput, klein: KleinInput }
/** docs.runflow.io's [klein] 9B price: $0.011 a megapixel, input and output (each started one counted, as fal bills). */
const KLEIN_USD_PER_MP = 0.011

/** The create body (docs.runflow.io/api-reference/runs). */
const CreateRunBody = z.strictObject({
  input: z.record(z.string(), z.unknown()),
  callback_url: z.url({ protocol: /^https$/ }).optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  client_ref: z.string().optional()
})

/** Upload step 1 (SDK assets.ts). */
const CreateUploadBody = z.strictObject({
  filename: z.string().min(1).max(500),
  mime_type: z.string().min(1).max(255),
  size_bytes: z.int().min(1).max(MAX_ASSET_BYTES)
})

/** Upload step 3: the body is optional; the SDK sends `{folder_id: null}` (assets.ts). */
const ConfirmBody = z.strictObject({ folder_id: z.uuid().nullable().optional() })

// ---------------------------------------------------------------------------------------------
// Errors (docs.runflow.io/concepts/errors)
// ---------------------------------------------------------------------------------------------

interface FieldError {
  field: string
  message: string
}

class RunflowRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] | null = null,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}

const unauthorized = (message: string) => new RunflowRejection(401, 'UNAUTHORIZED', message)
const badRequest = (message: string) => new RunflowRejection(400, 'BAD_REQUEST', message)
const validation = (errors: FieldError[]) => new RunflowRejection(422, 'VALIDATION_ERROR', 'Request validation failed.', errors)
const fakeUnsupported = (message: string) =>
  new RunflowRejection(400, 'FAKE_UNSUPPORTED', `${message} (a limit of this test fake, not of Runflow)`)

function fieldErrors(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: string): FieldError[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.')
    if (issue.code === 'unrecognized_keys')
      return { field: [path, issue.keys[0] ?? ''].filter(Boolean).join('.'), message: `Unknown field(s): ${issue.keys.join(', ')}.` }
    return { field: path, message: issue.message }
  })
}

const STATUS_FAULT_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  402: 'INSUFFICIENT_CREDIT',
  403: 'PERMISSION_DENIED',
  404: 'RUN_NOT_FOUND',
  409: 'CONFLICT',
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'MODEL_UNAVAILABLE'
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

interface Dimensions {
  width: number
  height: number
}

const SNIFFED_MIME = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const

function sniffMime(bytes: Uint8Array): string | null {
  const at = (signature: number[], offset = 0) => signature.every((byte, i) => bytes[offset + i] === byte)
  if (at([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return SNIFFED_MIME.png
  if (at([0xff, 0xd8, 0xff])) return SNIFFED_MIME.jpeg
  if (at([0x52, 0x49, 0x46, 0x46]) && at([0x57, 0x45, 0x42, 0x50], 8)) return SNIFFED_MIME.webp
  return null
}

/** End markers: a reference cut short is not an image Runflow's workers could decode. */
function isComplete(bytes: Uint8Array, mime: string): boolean {
  const tail = (signature: number[]) => signature.every((byte, i) => bytes[bytes.length - signature.length + i] === byte)
  if (mime === SNIFFED_MIME.png) return tail([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])
  if (mime === SNIFFED_MIME.jpeg) return tail([0xff, 0xd9])
  return bytes.length >= 12 && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(4) + 8 <= bytes.length
}

function measure(bytes: Uint8Array): Dimensions | null {
  try {
    const { width, height } = imageSize(bytes)
    return width > 0 && height > 0 ? { width, height } : null
  } catch {
    return null
  }
}

const renderCache = new Map<string, Uint8Array>()

/** Real bytes at the output size; cached because a 1 MP image takes a while to encode. */
function renderImage(format: 'png' | 'jpeg', size: Dimensions, seed: number): Uint8Array {
  const key = `${format}:${size.width}x${size.height}:${seed}`
  const cached = renderCache.get(key)
  if (cached !== undefined) return cached
  const bytes = format === 'png' ? makePng(size.width, size.height, seed) : makeJpeg(size.width, size.height, seed)
  if (renderCache.size >= 32) renderCache.delete(renderCache.keys().next().value!)
  renderCache.set(key, bytes)
  return bytes
}

/**
 * The output size: Kontext's ratio (or the nearest to the reference); klein's `{width, height}`, or
 * the first input's size when `image_size` is left out (fal-js: "uses the input image size").
 */
function outputSizeOf(input: RunInput, firstReference: Dimensions): Dimensions {
  if (isKlein(input)) {
    if (input.image_size === undefined) return firstReference
    if (typeof input.image_size === 'string') throw fakeUnsupported('image_size: this fake renders no presets')
    return input.image_size
  }
  return input.aspect_ratio === undefined
    ? nearestKontextSize(firstReference)
    : KONTEXT_SIZES.find((entry) => entry.ratio === input.aspect_ratio)!
}

const megapixels = (size: Dimensions) => Math.ceil((size.width * size.height) / 1_000_000 - 1e-9)

/** [klein]: the output's megapixels and every reference's, at KLEIN_USD_PER_MP. */
function kleinCostUsd(output: Dimensions, references: readonly Dimensions[]): number {
  return KLEIN_USD_PER_MP * references.reduce((sum, reference) => sum + megapixels(reference), megapixels(output))
}

function nearestKontextSize(reference: Dimensions): Dimensions {
  const distance = (size: Dimensions) => Math.abs(Math.log(size.width / size.height) - Math.log(reference.width / reference.height))
  const best = KONTEXT_SIZES.reduce<Dimensions>((chosen, size) => (distance(size) < distance(chosen) ? size : chosen), KONTEXT_SIZES[0])
  return { width: best.width, height: best.height }
}

/** A UUIDv7 (docs.runflow.io/concepts/runs: run ids are UUIDv7): 48-bit milliseconds, version 7, variant 10. */
function uuidv7(): string {
  const bytes = randomBytes(16)
  const ms = BigInt(Date.now())
  for (let i = 0; i < 6; i += 1) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface StoredResult {
  bytes: Uint8Array
  mime: string
  expired: boolean
  truncated: boolean
}

interface StoredRun {
  id: string
  modelId: string
  input: Record<string, unknown>
  numImages: number
  createdAt: number
  readyAt: number
  outcome: 'succeeded' | 'partial_succeeded' | 'failed' | 'canceled' | 'stall'
  failure: { code: string; message: string; stage: string } | null
  imageUrls: string[]
  seed: number
  /** USD billed per delivered image */
  costPerImage: number
  polls: number
}

interface StoredAsset extends FakeAsset {
  bytes: Uint8Array | null
  expired: boolean
  putMime: string | undefined
}

/** Where a succeeded run's image URLs sit, per `outputShape` (see the header). */
const OUTPUT_SHAPES: Record<RunflowOutputShape, (urls: readonly string[]) => Record<string, unknown>> = {
  outputs: (urls) => ({ type: 'image', outputs: urls.map((url) => ({ url })) }),
  image_urls: (urls) => ({ image_urls: [...urls] }),
  image: (urls) => ({ image: { url: urls[0] } }),
  url: (urls) => ({ url: urls[0] }),
  output_url: (urls) => ({ output_url: urls[0] })
}

/** How a run record says why it failed, per `runErrorForm` (see the header); `null` while it has not. */
const FAILURE_FORMS: Record<'error' | 'failure_fields', (failure: StoredRun['failure']) => Record<string, unknown>> = {
  error: (failure) => ({ error: failure === null ? null : { code: failure.code, message: failure.message } }),
  failure_fields: (failure) => ({
    failure_code: failure?.code ?? null,
    failure_stage: failure?.stage ?? null,
    failure_message: failure?.message ?? null
  })
}

const s3Error = (status: number, code: string, message: string): FakeReply => ({
  kind: 'raw',
  status,
  contentType: 'application/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
})

class FakeRunflowServer implements FakeRunflow {
  url = ''
  readonly apiKey: string
  private latencyMs: number
  private readonly costPerImage: number
  private readonly models: Record<string, RunflowModelKind>
  private readonly outputShape: RunflowOutputShape
  private readonly runErrorForm: 'error' | 'failure_fields'
  private readonly httpErrorForm: 'flat' | 'nested'
  private readonly assetRefs: boolean
  private readonly dataUris: boolean
  private readonly accepted: AcceptedRun[] = []
  private readonly recorded: RecordedRequest[] = []
  private readonly faults = new FaultQueue<RunflowFault>()
  private readonly pollFaults = new FaultQueue<RunflowPollFault>()
  private readonly uploadFaults = new FaultQueue<RunflowUploadFault>()
  private readonly storedRuns = new Map<string, StoredRun>()
  private readonly storedAssets = new Map<string, StoredAsset>()
  private readonly results = new Map<string, StoredResult>()
  private readonly closing = new AbortController()
  private closed: Promise<void> | null = null
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy()
      sendReply(
        response,
        jsonReply(500, {
          code: 'INTERNAL_ERROR',
          message: `fake crashed: ${error instanceof Error ? error.message : String(error)}`,
          errors: null
        })
      )
    })
  })

  constructor(options: FakeRunflowOptions) {
    this.apiKey = options.apiKey
    this.latencyMs = options.latencyMs ?? 0
    this.costPerImage = options.costPerImage ?? DEFAULT_COST_PER_IMAGE
    this.models = { ...(options.models ?? DEFAULT_RUNFLOW_MODELS) }
    this.outputShape = options.outputShape ?? 'outputs'
    this.runErrorForm = options.runErrorForm ?? 'error'
    this.httpErrorForm = options.httpErrorForm ?? 'flat'
    this.assetRefs = options.assetRefs ?? true
    this.dataUris = options.dataUris ?? true
  }

  get runs(): ReadonlyArray<AcceptedRun> {
    return this.accepted
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded
  }

  get assets(): ReadonlyArray<FakeAsset> {
    return [...this.storedAssets.values()].map(({ id, filename, mimeType, sizeBytes, uploaded, confirmed, putAuthorization, bytes }) => ({
      id,
      filename,
      mimeType,
      sizeBytes,
      uploaded,
      confirmed,
      putAuthorization,
      bytes
    }))
  }

  submissions(): number {
    return this.accepted.length
  }

  polls(runId?: string): number {
    if (runId !== undefined) return this.storedRuns.get(runId)?.polls ?? 0
    return [...this.storedRuns.values()].reduce((sum, run) => sum + run.polls, 0)
  }

  failNext(fault: RunflowFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  failNextPoll(fault: RunflowPollFault, times = 1): void {
    this.pollFaults.failNext(fault, times)
  }

  failNextUpload(fault: RunflowUploadFault, times = 1): void {
    this.uploadFaults.failNext(fault, times)
  }

  setLatency(ms: number): void {
    this.latencyMs = ms
  }

  async listen(): Promise<void> {
    this.url = await listenOnLoopbackAsync(this.server)
  }

  close(): Promise<void> {
    this.closed ??= closeServerAsync(this.server, this.closing)
    return this.closed
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBodyAsync(request)
    const url = new URL(request.url ?? '/', this.url)
    const path = url.pathname
    const method = request.method ?? ''
    const parsed = parseJsonBody(raw)
    this.recorded.push({ method, path, headers: copyHeaders(request), body: parsed.ok ? parsed.value : null, bytes: raw.length })

    let reply: FakeReply
    try {
      reply = path.startsWith('/storage/')
        ? this.storage(method, path, url, request, raw)
        : await this.api(method, path, request, raw, parsed)
    } catch (error) {
      if (!(error instanceof RunflowRejection)) throw error
      reply = jsonReply(error.status, this.errorBody(error), error.headers)
    }
    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  /** An error body in the configured form (see the header). */
  private errorBody(error: RunflowRejection): Record<string, unknown> {
    if (this.httpErrorForm === 'nested')
      return { error: { code: error.code, message: error.message, ...(error.errors === null ? {} : { errors: error.errors }) } }
    return { code: error.code, message: error.message, errors: error.errors }
  }

  // ----- API (Bearer) ----------------------------------------------------------------------

  private async api(method: string, path: string, request: IncomingMessage, raw: Buffer, body: ParsedJsonBody): Promise<FakeReply> {
    this.authenticate(request.headers.authorization)
    const runCreate = /^\/v1\/models\/(.+)\/runs$/.exec(path)
    if (runCreate !== null) {
      if (method !== 'POST') throw new RunflowRejection(405, 'METHOD_NOT_ALLOWED', 'Use POST.')
      return this.createRun(decodeURIComponent(runCreate[1] ?? ''), request, body)
    }
    const runGet = /^\/v1\/runs\/([^/]+)$/.exec(path)
    if (runGet !== null && method === 'GET') return this.getRun(decodeURIComponent(runGet[1] ?? ''))
    if (path === '/v1/asset-uploads' && method === 'POST') return this.createUpload(request, body)
    const confirm = /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/.exec(path)
    if (confirm !== null && method === 'POST') return this.confirmUpload(decodeURIComponent(confirm[1] ?? ''), request, raw, body)
    throw new RunflowRejection(404, 'NOT_FOUND', `No route ${method} ${path}.`)
  }

  /** `Authorization: Bearer <key>`; anything else is 401 UNAUTHORIZED. */
  private authenticate(header: string | undefined): void {
    if (header === undefined) throw unauthorized('Missing Authorization header. Send Authorization: Bearer <token>.')
    const bearer = /^Bearer ([^\s]+)$/.exec(header)
    if (bearer === null) throw unauthorized('Authorization header must be "Bearer <token>".')
    if (bearer[1] !== this.apiKey) throw unauthorized('Invalid or inactive API key.')
  }

  private requireJson(request: IncomingMessage, body: ParsedJsonBody): unknown {
    if (!hasJsonContentType(request)) throw badRequest('Content-Type must be application/json.')
    if (!body.ok) throw badRequest('The body is not valid JSON.')
    return body.value
  }

  private async createRun(modelId: string, request: IncomingMessage, body: ParsedJsonBody): Promise<FakeReply> {
    const kind = this.models[modelId]
    if (kind === undefined) throw new RunflowRejection(404, 'MODEL_NOT_FOUND', `No model ${modelId}.`)
    const value = this.requireJson(request, body)
    const envelope = CreateRunBody.safeParse(value)
    if (!envelope.success) throw validation(fieldErrors(envelope.error.issues, ''))
    if (envelope.data.callback_url !== undefined) throw fakeUnsupported('callback_url: this fake does not deliver callbacks')
    const parsedInput = INPUT_SCHEMAS[kind].safeParse(envelope.data.input)
    if (!parsedInput.success) throw validation(fieldErrors(parsedInput.error.issues, 'input'))
    const input: RunInput = parsedInput.data
    const references =
      'image_url' in input
        ? [this.reference(input.image_url, 'input.image_url')]
        : input.image_urls.map((ref, i) => this.reference(ref, `input.image_urls.${i}`))

    const fault = this.faults.take()
    switch (fault?.kind) {
      case 'status': {
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }
        const code = ('code' in fault ? fault.code : undefined) ?? STATUS_FAULT_CODES[fault.status] ?? 'ERROR'
        const errors: FieldError[] | null = fault.status === 422 ? [{ field: 'input', message: 'Simulated validation error.' }] : null
        throw new RunflowRejection(fault.status, code, `Simulated ${fault.status}.`, errors, headers)
      }
      case 'reset':
        return { kind: 'destroy' }
      case 'hang':
        return { kind: 'hang' }
      default:
        break
    }

    const run = this.accept(modelId, value as Record<string, unknown>, input, references, fault)
    if (fault?.kind === 'malformed')
      return { kind: 'raw', status: 201, contentType: 'application/json', body: `{"id":"${run.id}","status_code":"qu` }
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    return jsonReply(201, this.record(run, 'queued'))
  }

  /** A run input's image: a data URI of a real image, or a confirmed asset of this fake (see the header). */
  private reference(value: string, field: string): Dimensions {
    const fail = (why: string) => validation([{ field, message: why }])
    const dataUri = parseDataUri(value)
    let bytes: Uint8Array
    let declared: string | null = null
    if (dataUri !== null) {
      // Before refs were resolved at dispatch, a data URI became a runflow:// ref the worker refused.
      if (!this.dataUris) throw fail("media URL must use HTTP(S) or data URI, got 'runflow'")
      declared = dataUri.mediaType.toLowerCase()
      const decoded = decodeStrictBase64(dataUri.base64)
      if (decoded === null) throw fail('The data URI is not valid base64.')
      bytes = decoded
    } else {
      const asset = this.assetFor(value, fail)
      if (asset === undefined) {
        if (/^https?:\/\//i.test(value)) throw fakeUnsupported(`${field}: this fake fetches no URLs except its own confirmed assets' url`)
        throw fail('Expected an image URL or a data URI.')
      }
      if (!asset.confirmed || asset.bytes === null) throw fail(`asset not found or expired: runflow://assets/${asset.id}`)
      bytes = asset.bytes
      declared = asset.mimeType
    }
    const sniffed = sniffMime(bytes)
    if (sniffed === null) throw fail('The file is not a supported image (png, jpeg, webp).')
    if (declared !== sniffed) throw fail(`The media type says ${declared} but the file is ${sniffed}.`)
    if (!isComplete(bytes, sniffed)) throw fail('The image file is truncated.')
    const size = measure(bytes)
    if (size === null) throw fail('The image dimensions cannot be read.')
    return size
  }

  /** An asset named by its `runflow://assets/{id}` ref or by its signed `url` (see the header), or undefined. */
  private assetFor(value: string, fail: (why: string) => RunflowRejection): StoredAsset | undefined {
    const ref = /^runflow:\/\/assets\/([^/?#]+)$/.exec(value)
    if (ref !== null) {
      if (!this.assetRefs) throw fail("media URL must use HTTP(S) or data URI, got 'runflow'")
      const asset = this.storedAssets.get(ref[1] ?? '')
      if (asset === undefined) throw fail(`asset not found or expired: ${value}`)
      return asset
    }
    const url = /^(https?:\/\/[^/]+)\/storage\/assets\/([^/]+)\/[^/?]+(\?.*)?$/.exec(value)
    return url !== null && url[1] === this.url ? this.storedAssets.get(url[2] ?? '') : undefined
  }

  private accept(
    modelId: string,
    body: Record<string, unknown>,
    input: RunInput,
    references: readonly Dimensions[],
    fault: RunflowFault | undefined
  ): StoredRun {
    const id = uuidv7()
    // A "random" seed from a small pool, so the render cache spares the tests re-encoding 1 MP images.
    const seed = input.seed ?? randomInt(4)
    const size = outputSizeOf(input, references[0]!)
    if (input.output_format === 'webp') throw fakeUnsupported('output_format: this fake renders no webp')
    const costPerImage = isKlein(input) ? kleinCostUsd(size, references) : this.costPerImage
    const failure =
      fault?.kind === 'moderation'
        ? {
            code: 'CONTENT_POLICY_VIOLATION',
            message: 'The request was flagged by the content checker (content_policy_violation).',
            stage: 'inference'
          }
        : fault?.kind === 'fail'
          ? { code: fault.failureCode, message: fault.failureMessage, stage: fault.failureStage ?? 'inference' }
          : null
    const outcome: StoredRun['outcome'] =
      failure !== null
        ? 'failed'
        : fault?.kind === 'stall'
          ? 'stall'
          : fault?.kind === 'canceled'
            ? 'canceled'
            : fault?.kind === 'partial'
              ? 'partial_succeeded'
              : 'succeeded'
    const mime = input.output_format === 'png' ? 'image/png' : 'image/jpeg'
    const count = outcome === 'partial_succeeded' ? 1 : input.num_images
    const imageUrls: string[] = []
    if (outcome === 'succeeded' || outcome === 'partial_succeeded') {
      for (let index = 0; index < count; index += 1) {
        const bytes = renderImage(input.output_format, size, seed + index)
        if (input.sync_mode) {
          imageUrls.push(`data:${mime};base64,${Buffer.from(bytes).toString('base64')}`)
          continue
        }
        const key = `${id}/${index}.${input.output_format === 'png' ? 'png' : 'jpg'}`
        this.results.set(key, { bytes, mime, expired: fault?.kind === 'expired-results', truncated: fault?.kind === 'truncated-image' })
        imageUrls.push(`${this.url}/storage/results/${key}?X-Amz-Expires=600&X-Amz-Signature=${randomBytes(16).toString('hex')}`)
      }
    }
    // The run's clock starts after the (slow) rendering, so latencyMs is what a poller sees.
    const now = Date.now()
    const run: StoredRun = {
      id,
      modelId,
      input: body.input as Record<string, unknown>,
      numImages: input.num_images,
      createdAt: now,
      readyAt: now + this.latencyMs,
      outcome,
      failure,
      imageUrls,
      seed,
      costPerImage,
      polls: 0
    }
    this.storedRuns.set(id, run)
    this.accepted.push({ id, modelId, body })
    return run
  }

  private statusOf(run: StoredRun): string {
    const elapsed = Date.now() - run.createdAt
    const span = Math.max(1, run.readyAt - run.createdAt)
    if (run.outcome === 'stall') return elapsed < span * 0.4 ? 'queued' : 'running'
    if (Date.now() >= run.readyAt) return run.outcome
    if (elapsed < span * 0.2) return 'queued'
    if (elapsed < span * 0.4) return 'dispatching'
    return 'running'
  }

  /** The run record (docs.runflow.io/concepts/runs; SDK types.ts `Run`), in the configured output and failure forms. */
  private record(run: StoredRun, status: string): Record<string, unknown> {
    const terminal = ['succeeded', 'partial_succeeded', 'failed', 'canceled'].includes(status)
    const done = status === 'succeeded' || status === 'partial_succeeded'
    const failure = status === 'failed' ? run.failure : null
    return {
      id: run.id,
      model_id: run.modelId,
      status_code: status,
      input: run.input,
      output: done ? OUTPUT_SHAPES[this.outputShape](run.imageUrls) : null,
      cost: done
        ? String(Math.round(run.costPerImage * run.imageUrls.length * 1e6) / 1e6)
        : status === 'failed' || status === 'canceled'
          ? '0'
          : null,
      duration_ms: terminal ? run.readyAt - run.createdAt : null,
      created_at: isoOffset(run.createdAt),
      started_at: status === 'queued' || status === 'dispatching' ? null : isoOffset(run.createdAt),
      completed_at: terminal ? isoOffset(run.readyAt) : null,
      callback_url: null,
      metadata: null,
      ...FAILURE_FORMS[this.runErrorForm](failure)
    }
  }

  private getRun(id: string): FakeReply {
    const run = this.storedRuns.get(id)
    if (run === undefined) throw new RunflowRejection(404, 'RUN_NOT_FOUND', 'The run_id does not exist or belongs to another org.')
    run.polls += 1
    const fault = this.pollFaults.take()
    if (fault?.kind === 'status')
      throw new RunflowRejection(fault.status, STATUS_FAULT_CODES[fault.status] ?? 'ERROR', `Simulated ${fault.status}.`)
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"id":"' }
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    return jsonReply(200, this.record(run, this.statusOf(run)))
  }

  /** Upload step 1 (SDK assets.ts). */
  private createUpload(request: IncomingMessage, body: ParsedJsonBody): FakeReply {
    const parsed = CreateUploadBody.safeParse(this.requireJson(request, body))
    if (!parsed.success) throw validation(fieldErrors(parsed.error.issues, ''))
    const { filename, mime_type: mimeType, size_bytes: sizeBytes } = parsed.data
    if (!(ASSET_MIME_TYPES as readonly string[]).includes(mimeType))
      throw validation([{ field: 'mime_type', message: `Unsupported MIME type ${mimeType}; see GET /v1/assets/types.` }])
    const fault = this.uploadFaults.take()
    if (fault?.kind === 'status') {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }
      throw new RunflowRejection(fault.status, STATUS_FAULT_CODES[fault.status] ?? 'ERROR', `Simulated ${fault.status}.`, null, headers)
    }
    const expired = fault?.kind === 'expired-url'
    const id = randomUUID()
    this.storedAssets.set(id, {
      id,
      filename,
      mimeType,
      sizeBytes,
      uploaded: false,
      confirmed: false,
      putAuthorization: undefined,
      bytes: null,
      expired,
      putMime: undefined
    })
    return jsonReply(201, {
      asset_id: id,
      upload_url: `${this.url}/storage/uploads/${id}?X-Amz-Expires=900&X-Amz-Signature=${randomBytes(16).toString('hex')}`
    })
  }

  /** Upload step 3: the backend checks the stored object and returns the Asset with a signed `url` (SDK assets.ts). */
  private confirmUpload(id: string, request: IncomingMessage, raw: Buffer, body: ParsedJsonBody): FakeReply {
    if (raw.length > 0) {
      const parsed = ConfirmBody.safeParse(this.requireJson(request, body))
      if (!parsed.success) throw validation(fieldErrors(parsed.error.issues, ''))
    }
    const asset = this.storedAssets.get(id)
    if (asset === undefined) throw new RunflowRejection(404, 'ASSET_UPLOAD_NOT_FOUND', 'No such asset upload.')
    if (!asset.uploaded || asset.bytes === null) throw new RunflowRejection(409, 'CONFLICT', 'No object has been uploaded yet.')
    if (asset.bytes.byteLength !== asset.sizeBytes)
      throw validation([{ field: 'size_bytes', message: `Uploaded ${asset.bytes.byteLength} bytes, declared ${asset.sizeBytes}.` }])
    if (asset.putMime !== asset.mimeType)
      throw validation([{ field: 'mime_type', message: `Uploaded as ${asset.putMime ?? '(none)'}, declared ${asset.mimeType}.` }])
    asset.confirmed = true
    return jsonReply(201, {
      id: asset.id,
      org_id: '00000000-0000-4000-8000-000000000001',
      folder_id: null,
      name: asset.filename,
      url: `${this.url}/storage/assets/${asset.id}/${encodeURIComponent(asset.filename)}?X-Amz-Expires=600&X-Amz-Signature=${randomBytes(16).toString('hex')}`,
      thumbnail_url: null,
      mime_type: asset.mimeType,
      size_bytes: asset.sizeBytes,
      asset_type: 'image',
      source_type: 'upload',
      created_at: isoOffset(Date.now()),
      updated_at: isoOffset(Date.now())
    })
  }

  // ----- presigned storage ----------------------------------------------------------------

  private storage(method: string, path: string, url: URL, request: IncomingMessage, raw: Buffer): FakeReply {
    // S3: a presigned request may carry no second auth mechanism.
    if (request.headers.authorization !== undefined) return s3Error(400, 'InvalidArgument', 'Only one auth mechanism allowed')
    const upload = /^\/storage\/uploads\/([^/]+)$/.exec(path)
    if (upload !== null && method === 'PUT') {
      const asset = this.storedAssets.get(upload[1] ?? '')
      if (asset === undefined || !url.searchParams.has('X-Amz-Signature')) return s3Error(403, 'AccessDenied', 'Access Denied')
      if (asset.expired) return s3Error(403, 'AccessDenied', 'Request has expired')
      asset.bytes = new Uint8Array(raw)
      asset.uploaded = true
      asset.putMime = request.headers['content-type']?.split(';')[0]?.trim()
      asset.putAuthorization = request.headers.authorization
      return { kind: 'raw', status: 200, contentType: 'text/plain', body: '', headers: { etag: `"${randomBytes(8).toString('hex')}"` } }
    }
    const result = /^\/storage\/results\/(.+)$/.exec(path)
    if (result !== null && method === 'GET') {
      const stored = this.results.get(result[1] ?? '')
      if (stored === undefined || !url.searchParams.has('X-Amz-Signature')) return s3Error(403, 'AccessDenied', 'Access Denied')
      if (stored.expired) return s3Error(403, 'AccessDenied', 'Request has expired')
      return {
        kind: 'raw',
        status: 200,
        contentType: stored.mime,
        body: stored.truncated ? stored.bytes.subarray(0, Math.floor(stored.bytes.length / 2)) : stored.bytes
      }
    }
    const asset = /^\/storage\/assets\/([^/]+)\/[^/]+$/.exec(path)
    if (asset !== null && method === 'GET') {
      const stored = this.storedAssets.get(asset[1] ?? '')
      if (stored === undefined || !stored.confirmed || stored.bytes === null)
        return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
      return { kind: 'raw', status: 200, contentType: stored.mimeType, body: stored.bytes }
    }
    return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Timestamps with a +00:00 offset (docs.runflow.io/concepts/callbacks). */
function isoOffset(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}
