/**
 * A strict fake of Black Forest Labs' API, limited to what the relay uses: `POST /v1/{model}`
 * (FLUX.1 Kontext and any model path the test configures) and `GET /v1/get_result?id=…`. Host notes:
 * docs/hosts.md, "Black Forest Labs". Sources, per behaviour:
 *
 * - Request body: BFL's OpenAPI (`https://api.bfl.ai/openapi.json`, schema `FluxKontextProInputs`,
 *   also kept in tryAGI/BlackForestLabs `src/libs/BlackForestLabs/openapi.json`): the field set
 *   below, `safety_tolerance` an integer 0–6, `output_format` jpeg | png | webp, `aspect_ratio`
 *   "between 21:9 and 9:21", `input_image` … `input_image_4` "Base64 encoded image or URL".
 * - Submit answer `{id, polling_url}` and `GET polling_url` → `ResultResponse {id, status, result,
 *   progress, details}`: the OpenAPI's `AsyncResponse` / `ResultResponse`; statuses as in its
 *   `StatusResponse` enum (Ready, Pending, Request Moderated, Content Moderated, Error, Task not found).
 * - `polling_url` on another host than the submit, which must be used as given: docs.bfl.ai
 *   `/api_integration/integration_guidelines` ("use the polling_url returned").
 * - `result.sample` is a signed URL valid for 10 minutes: docs.bfl.ai `/api-reference/utility/get-result`
 *   and the integration guidelines.
 * - Errors: FastAPI 422 `{"detail":[{type, loc, msg, input?}]}` (the OpenAPI's `HTTPValidationError`);
 *   401 for a missing or wrong `x-key`, 402 out of credits, 429 too many active tasks: docs.bfl.ai
 *   `/api_integration/errors`.
 *
 * It runs three servers on 127.0.0.1, as the real service is spread over several hosts:
 *
 * - **api** (`url`, the value for BFL_API_URL): takes submissions. Its own `/v1/get_result`
 *   answers `Task not found` for every task, because the tasks live on …
 * - **region** (`regionUrl`): a second "cluster" on another port. Every `polling_url` points here,
 *   so an adapter that rebuilds the URL from the id and the submit host gets `Task not found`.
 * - **delivery** (`deliveryUrl`): a signed-URL file host. `result.sample` points here only with
 *   `deliveryOn: 'delivery'`. By default the signed sample is served under `/delivery/…` on the
 *   api origin, because the relay downloads plain http only from the configured origin (in
 *   production the delivery hosts are https, which the relay accepts anywhere). Tests that want the
 *   production shape set `publicRegionOrigin` / `publicDeliveryOrigin` to https names and route
 *   them to these servers with their own fetch.
 *
 * Sample URLs are signed (`se` expiry in ms, `sig` HMAC) and expire `sampleTtlMs` after the task
 * is Ready: an expired or tampered URL answers 403, as a blob store does.
 *
 * Where the fake is deliberately stricter than the real API, so that a relay bug fails a test
 * instead of being silently ignored in production:
 * - Unknown fields are rejected (`extra_forbidden`): the OpenAPI does not forbid them (pydantic
 *   ignores them), so a misspelled field would otherwise be dropped unnoticed.
 * - Types are strict: pydantic's lax mode might coerce `"2"` to 2 for `safety_tolerance`.
 * - `input_image*` must be raw base64 of a PNG, JPEG or WEBP; the fake does not fetch URLs and does
 *   not deliver webhooks (those answer 422 naming the fake's limit). The relay sends base64 only.
 *
 * Where sources disagree: Replicate's schema for its BFL-backed Kontext models and ComfyUI's BFL
 * node (`comfy_api_nodes/apis/bfl_api.py`) cap `safety_tolerance` at 2 with an input image, while
 * BFL's OpenAPI allows 0–6. The fake follows BFL's OpenAPI by default; `imageSafetyMax: 2` makes
 * it refuse more with an input image, so the adapter's handling of that refusal stays tested.
 *
 * Faults: `BflFault`, the common kinds of test/fakes/host-fault.ts (what each means here is written
 * beside the type) and BFL's own. A queued fault is used by the next submission that passes auth
 * and validation, so an invalid request still gets its 422. `submissions()` counts accepted
 * (billable) tasks. Cost: `costs[model]` credits (default 8 for max and unknown models, 4 for pro);
 * moderated tasks report the cost at submit like the real API (BFL says it does not charge them).
 */
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto'
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { imageSize } from 'image-size'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import {
  closeServerAsync,
  copyHeaders,
  decodeStrictBase64,
  deliverReply,
  hasJsonContentType,
  jsonReply,
  listenOnLoopbackAsync,
  parseJsonBody,
  readBodyAsync,
  sendReply,
  type FakeHostHandle,
  type FakeHostOptions,
  type FakeReply
} from './fake-http'
import { FaultQueue, type HostFault } from './host-fault'
import { makeJpeg, makePng, makeWebpAsync } from './make-image'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The faults every fake knows (test/fakes/host-fault.ts), as they look on BFL's wire. BFL has no
 * idempotency key and no way to ask about a task by anything but its id, so whether the task was
 * accepted (counted in `submissions()`, billed) decides what the relay may do next:
 * - `status`: `POST /v1/{model}` answers this status with a FastAPI `{"detail": …}` body, not
 *   accepted (docs.bfl.ai `/api_integration/errors`: 402 out of credits, 403 no access, 429 too many
 *   active tasks; 500 and 503 with short texts of the fake's own, other statuses with their reason
 *   phrase); `Retry-After` when given.
 * - `reset`: the socket is destroyed before the task is accepted (not billed).
 * - `hang`: the submit is never answered (until close); not accepted.
 * - `reset-after-accept`: the task is accepted and billed, then the socket is destroyed without an
 *   answer (a connection lost on the way back; BFL documents no way to find the task again).
 * - `malformed`: the task is accepted and billed, then a 200 whose JSON is cut off (`{"id":"`), as a
 *   proxy that drops the rest of the answer would leave it.
 * - `truncated-image`: accepted; Ready as usual, but the signed `result.sample` answers 200 with
 *   only the first half of the image's bytes (its Content-Length matching them), so only decoding
 *   the image can tell. No BFL source describes this; it is the failure the relay's image checks
 *   exist for.
 */
export type BflFault =
  | HostFault
  /** Accepted; the task ends in this status instead of Ready (the OpenAPI's `StatusResponse`). */
  | { kind: 'request-moderated' }
  | { kind: 'content-moderated' }
  | { kind: 'error' }
  | { kind: 'task-not-found' }
  /** Accepted; the task stays Pending for ever. */
  | { kind: 'pending-forever' }
  /** Accepted; its first `times` polls answer this status (a struggling cluster). */
  | { kind: 'poll-status'; status: 429 | 500 | 502 | 503; times: number }
  /** Accepted; its first `times` polls answer 200 with a body that is not JSON. */
  | { kind: 'poll-malformed'; times: number }
  /** Accepted; Ready with a sample URL that has already expired. */
  | { kind: 'expired-sample' }
  /** Accepted; `polling_url` points at this origin instead of the region server. */
  | { kind: 'polling-origin'; origin: string }
  /** Accepted; `result.sample` points at this origin instead of the usual one. */
  | { kind: 'sample-origin'; origin: string }

export interface FakeBflOptions {
  apiKey: string
  /** Model paths under /v1/ that accept Kontext's body (default flux-kontext-max and flux-kontext-pro). */
  models?: readonly string[]
  /** How long a task stays Pending (default 0). */
  latencyMs?: number
  /** Credits per task by model path (default 8 for flux-kontext-max and unknown models, 4 for flux-kontext-pro). */
  costs?: Readonly<Record<string, number>>
  /** Lifetime of a signed sample URL once the task is Ready (default 10 minutes). */
  sampleTtlMs?: number
  /** Which server `result.sample` points at (default 'api', see the header comment). */
  deliveryOn?: 'api' | 'delivery'
  /** Origin written into `polling_url` (default the region server's own). */
  publicRegionOrigin?: string
  /** Origin written into `result.sample` with deliveryOn 'delivery' (default the delivery server's own). */
  publicDeliveryOrigin?: string
  /** Highest `safety_tolerance` accepted with an input image (default 6, BFL's OpenAPI; 2 as Replicate and ComfyUI's BFL node cap it). */
  imageSafetyMax?: number
}

export type BflServerName = 'api' | 'region' | 'delivery'

export interface BflRecordedRequest {
  server: BflServerName
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  /** Parsed JSON body, or null. */
  body: unknown
}

export interface AcceptedBflTask {
  id: string
  model: string
  body: Record<string, unknown>
  costCredits: number
  width: number
  height: number
  at: number
}

export interface FakeBfl {
  /** The api origin, e.g. http://127.0.0.1:PORT (the value for BFL_API_URL). */
  url: string
  /** The region server's origin (where polling_url points). */
  regionUrl: string
  /** The delivery server's origin. */
  deliveryUrl: string
  apiKey: string
  /** Accepted (billable) tasks, in order. */
  readonly accepted: ReadonlyArray<AcceptedBflTask>
  /** Every request any of the three servers received, in order. */
  readonly requests: ReadonlyArray<BflRecordedRequest>
  submissions(): number
  failNext(fault: BflFault, times?: number): void
  setLatency(ms: number): void
  close(): Promise<void>
}

export async function startFakeBflAsync(options: FakeBflOptions): Promise<FakeBfl> {
  const fake = new FakeBflServer(options)
  await fake.listen()
  return fake
}

/**
 * The uniform handle for the cross-host tests. `duplicates()` is 0: BFL's submit carries no id of
 * the client's, and two variants without a seed send the same body, so the fake cannot tell a
 * second submission of one task from a new task.
 */
export async function startBflForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeBflAsync({
    apiKey: `bfl_fake_${randomUUID()}`,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs })
  })
  return {
    env: { BFL_API_KEY: fake.apiKey, BFL_API_URL: fake.url },
    submissions: () => fake.submissions(),
    duplicates: () => 0,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Contract (BFL's OpenAPI and docs.bfl.ai, as listed in the header)
// ---------------------------------------------------------------------------------------------

export const DEFAULT_BFL_MODELS = ['flux-kontext-max', 'flux-kontext-pro'] as const
const DEFAULT_COSTS: Record<string, number> = { 'flux-kontext-max': 8, 'flux-kontext-pro': 4 }
const DEFAULT_COST = 8
const DEFAULT_SAMPLE_TTL_MS = 10 * 60 * 1000

/** The OpenAPI's `FluxKontextProInputs`. */
const BODY_FIELDS = new Set([
  'prompt',
  'input_image',
  'input_image_2',
  'input_image_3',
  'input_image_4',
  'seed',
  'aspect_ratio',
  'output_format',
  'webhook_url',
  'webhook_secret',
  'prompt_upsampling',
  'safety_tolerance'
])
const IMAGE_FIELDS = ['input_image', 'input_image_2', 'input_image_3', 'input_image_4'] as const
const OUTPUT_FORMATS = ['jpeg', 'png', 'webp'] as const
type OutputFormat = (typeof OUTPUT_FORMATS)[number]
/** BFL's Kontext docs give 20 MB or 20 MP per input image. */
const MAX_INPUT_BYTES = 20 * 1024 * 1024
const MAX_INPUT_PIXELS = 20_000_000
/** The OpenAPI: aspect ratios "between 21:9 and 9:21". */
const MAX_RATIO = 21 / 9

interface ValidationIssue {
  type: string
  loc: Array<string | number>
  msg: string
  input?: unknown
}

interface ValidBody {
  prompt: string
  seed: number | undefined
  output: { width: number; height: number }
  format: OutputFormat
  inputMp: number
}

function sniff(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | null {
  const at = (signature: number[], offset = 0): boolean => signature.every((byte, i) => bytes[offset + i] === byte)
  if (at([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (at([0xff, 0xd8, 0xff])) return 'jpeg'
  if (at([0x52, 0x49, 0x46, 0x46]) && at([0x57, 0x45, 0x42, 0x50], 8)) return 'webp'
  return null
}

/**
 * The output size: the catalogue's size for one of the nine Kontext ratio names, else about 1 MP at
 * the ratio with sides in multiples of 16 ("about 1 MP", an inference: BFL does not give the sizes).
 */
function outputSize(ratio: number, name?: string): { width: number; height: number } {
  const known = KONTEXT_SIZES.find((size) => size.ratio === name)
  if (known !== undefined) return { width: known.width, height: known.height }
  const clamped = Math.min(MAX_RATIO, Math.max(1 / MAX_RATIO, ratio))
  return { width: Math.round(Math.sqrt(1024 * 1024 * clamped) / 16) * 16, height: Math.round(Math.sqrt((1024 * 1024) / clamped) / 16) * 16 }
}

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

function smallInput(value: unknown): unknown {
  return typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…` : value
}

/** Checks a submission body; returns the issues (FastAPI style) or the parsed request. */
export function validateBflBody(
  raw: unknown,
  imageSafetyMax = 6
): { ok: true; value: ValidBody } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = []
  const issue = (field: string, type: string, msg: string, input?: unknown): void => {
    issues.push(input === undefined ? { type, loc: ['body', field], msg } : { type, loc: ['body', field], msg, input: smallInput(input) })
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: describeType(raw)
        }
      ]
    }
  }
  const body = raw as Record<string, unknown>
  for (const key of Object.keys(body)) {
    if (!BODY_FIELDS.has(key)) issue(key, 'extra_forbidden', 'Extra inputs are not permitted', body[key])
  }
  const present = (key: string): boolean => body[key] !== undefined && body[key] !== null

  if (body.prompt === undefined) issue('prompt', 'missing', 'Field required')
  else if (typeof body.prompt !== 'string') issue('prompt', 'string_type', 'Input should be a valid string', body.prompt)

  const images: Array<{ width: number; height: number }> = []
  for (const field of IMAGE_FIELDS) {
    const value = body[field]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string') {
      issue(field, 'string_type', 'Input should be a valid string', value)
      continue
    }
    const bad = (msg: string): void => issue(field, 'value_error', `Value error, ${msg}`)
    if (/^https?:\/\//i.test(value)) {
      bad('this fake does not fetch image URLs; send raw base64 (a limit of the fake, not of BFL)')
      continue
    }
    if (/^data:/i.test(value)) {
      bad('send the raw base64 string without a data: prefix')
      continue
    }
    const bytes = decodeStrictBase64(value)
    if (bytes === null) {
      bad('invalid base64 image')
      continue
    }
    if (bytes.byteLength > MAX_INPUT_BYTES) {
      bad('image is larger than 20 MB')
      continue
    }
    if (sniff(bytes) === null) {
      bad('input is not a PNG, JPEG or WEBP image')
      continue
    }
    try {
      const { width, height } = imageSize(bytes)
      if (width * height > MAX_INPUT_PIXELS) bad('image is larger than 20 megapixels')
      else images.push({ width, height })
    } catch {
      bad('image dimensions cannot be read')
    }
  }
  const hasImage = present('input_image')

  if (present('seed') && !Number.isInteger(body.seed)) {
    issue(
      'seed',
      typeof body.seed === 'number' ? 'int_from_float' : 'int_type',
      typeof body.seed === 'number'
        ? 'Input should be a valid integer, got a number with a fractional part'
        : 'Input should be a valid integer',
      body.seed
    )
  }

  let ratio: number | undefined
  if (present('aspect_ratio')) {
    const value = body.aspect_ratio
    const match = typeof value === 'string' ? /^(\d+):(\d+)$/.exec(value) : null
    if (typeof value !== 'string') issue('aspect_ratio', 'string_type', 'Input should be a valid string', value)
    else if (match === null || Number(match[1]) === 0 || Number(match[2]) === 0)
      issue('aspect_ratio', 'value_error', "Value error, aspect_ratio must look like 'W:H'", value)
    else {
      ratio = Number(match[1]) / Number(match[2])
      if (ratio > MAX_RATIO + 1e-9 || ratio < 1 / MAX_RATIO - 1e-9)
        issue('aspect_ratio', 'value_error', 'Value error, aspect ratio must be between 21:9 and 9:21', value)
    }
  }

  if (present('output_format') && !OUTPUT_FORMATS.includes(body.output_format as OutputFormat)) {
    issue('output_format', 'enum', "Input should be 'jpeg', 'png' or 'webp'", body.output_format)
  }
  if (present('prompt_upsampling') && typeof body.prompt_upsampling !== 'boolean') {
    issue('prompt_upsampling', 'bool_type', 'Input should be a valid boolean', body.prompt_upsampling)
  }
  if (present('safety_tolerance')) {
    const value = body.safety_tolerance
    if (typeof value !== 'number' || !Number.isInteger(value))
      issue('safety_tolerance', 'int_type', 'Input should be a valid integer', value)
    else if (value < 0) issue('safety_tolerance', 'greater_than_equal', 'Input should be greater than or equal to 0', value)
    else if (value > 6) issue('safety_tolerance', 'less_than_equal', 'Input should be less than or equal to 6', value)
    else if (hasImage && value > imageSafetyMax)
      issue('safety_tolerance', 'value_error', `Value error, safety_tolerance can be at most ${imageSafetyMax} with an input image`, value)
  }
  for (const field of ['webhook_url', 'webhook_secret']) {
    if (present(field)) issue(field, 'value_error', 'Value error, this fake does not deliver webhooks (a limit of the fake, not of BFL)')
  }
  if (issues.length > 0) return { ok: false, issues }

  const first = images[0]
  const output =
    ratio !== undefined
      ? outputSize(ratio, body.aspect_ratio as string)
      : first !== undefined
        ? outputSize(first.width / first.height)
        : { width: 1024, height: 1024 }
  return {
    ok: true,
    value: {
      prompt: body.prompt as string,
      seed: present('seed') ? (body.seed as number) : undefined,
      output,
      format: (present('output_format') ? body.output_format : 'png') as OutputFormat,
      inputMp: Math.round(images.reduce((sum, image) => sum + image.width * image.height, 0) / 10_000) / 100
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Result images
// ---------------------------------------------------------------------------------------------

/**
 * Rendering a 1 MP image takes 0.2–0.7 s, so the fake renders lazily (on the first download, never
 * while answering a submit) and keeps one image per format, size and `seed % 8`: variants with
 * neighbouring seeds still differ, and a test run renders each only once.
 */
const RENDER_VARIETY = 8
const rendered = new Map<string, Promise<Uint8Array>>()

function renderAsync(format: OutputFormat, width: number, height: number, seed: number): Promise<Uint8Array> {
  const tint = seed % RENDER_VARIETY
  const key = `${format}:${width}x${height}:${tint}`
  let bytes = rendered.get(key)
  if (bytes === undefined) {
    bytes =
      format === 'webp'
        ? makeWebpAsync(width, height, tint)
        : Promise.resolve().then(() => (format === 'png' ? makePng(width, height, tint) : makeJpeg(width, height, tint)))
    if (rendered.size >= 64) rendered.delete(rendered.keys().next().value!)
    rendered.set(key, bytes)
  }
  return bytes
}

const MIME: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' }
const EXTENSION: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' }

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Task {
  id: string
  prompt: string
  seed: number
  format: OutputFormat
  width: number
  height: number
  createdAt: number
  readyAt: number
  fault: BflFault | undefined
  /** Polls left that the transient fault still answers. */
  faultyPolls: number
  /** Set when the task first answers Ready. */
  sampleExpiresAt: number | undefined
}

/** Cut off mid-way, so it is not JSON even though the header says it is. */
const MALFORMED_SUBMIT = '{"id":"'
const MALFORMED_POLL = '<html><body>502 Bad Gateway</body></html>'

/** FastAPI's body for a status fault; statuses not listed get FastAPI's default `{"detail": <reason phrase>}`. */
const STATUS_FAULT_BODIES: Record<number, unknown> = {
  400: { detail: 'Bad request' },
  402: { detail: 'Insufficient credits. Add credits at https://dashboard.bfl.ai' },
  403: { detail: 'Your API key does not have access to this endpoint' },
  429: { detail: 'You have exceeded the number of active tasks. Wait for some to finish.' },
  500: { detail: 'Internal Server Error' },
  503: { detail: 'Service Unavailable: high load' }
}

const EXPIRED_BLOB =
  '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has to be after signed start time</Message></Error>'

class FakeBflServer implements FakeBfl {
  url = ''
  regionUrl = ''
  deliveryUrl = ''
  readonly apiKey: string
  private readonly models: Set<string>
  private latencyMs: number
  private readonly costs: Readonly<Record<string, number>>
  private readonly sampleTtlMs: number
  private readonly deliveryOn: 'api' | 'delivery'
  private readonly options: FakeBflOptions
  private readonly secret = randomBytes(16)
  private readonly tasks = new Map<string, Task>()
  private readonly acceptedTasks: AcceptedBflTask[] = []
  private readonly recorded: BflRecordedRequest[] = []
  private readonly faults = new FaultQueue<BflFault>()
  private readonly closing = new AbortController()
  private closed: Promise<void> | null = null
  private readonly servers: Record<BflServerName, Server>

  constructor(options: FakeBflOptions) {
    this.options = options
    this.apiKey = options.apiKey
    this.models = new Set(options.models ?? DEFAULT_BFL_MODELS)
    this.latencyMs = options.latencyMs ?? 0
    this.costs = { ...DEFAULT_COSTS, ...options.costs }
    this.sampleTtlMs = options.sampleTtlMs ?? DEFAULT_SAMPLE_TTL_MS
    this.deliveryOn = options.deliveryOn ?? 'api'
    const make = (name: BflServerName): Server =>
      createServer((request, response) => {
        this.handle(name, request, response).catch((error: unknown) => {
          if (response.headersSent) return void response.destroy()
          sendReply(response, jsonReply(500, { detail: `fake crashed: ${error instanceof Error ? error.message : String(error)}` }))
        })
      })
    this.servers = { api: make('api'), region: make('region'), delivery: make('delivery') }
  }

  get accepted(): ReadonlyArray<AcceptedBflTask> {
    return this.acceptedTasks
  }

  get requests(): ReadonlyArray<BflRecordedRequest> {
    return this.recorded
  }

  submissions(): number {
    return this.acceptedTasks.length
  }

  failNext(fault: BflFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  setLatency(ms: number): void {
    this.latencyMs = ms
  }

  async listen(): Promise<void> {
    const { api, region, delivery } = this.servers
    ;[this.url, this.regionUrl, this.deliveryUrl] = await Promise.all([
      listenOnLoopbackAsync(api),
      listenOnLoopbackAsync(region),
      listenOnLoopbackAsync(delivery)
    ])
  }

  close(): Promise<void> {
    this.closed ??= Promise.all(Object.values(this.servers).map((server) => closeServerAsync(server, this.closing))).then(() => undefined)
    return this.closed
  }

  private async handle(server: BflServerName, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBodyAsync(request)
    const url = new URL(request.url ?? '/', 'http://fake')
    const parsed = parseJsonBody(raw)
    const body = parsed.ok ? parsed.value : null
    this.recorded.push({
      server,
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: copyHeaders(request),
      body
    })

    let reply: FakeReply
    const deliveryPath =
      server === 'delivery'
        ? url.pathname
        : server === 'api' && url.pathname.startsWith('/delivery/')
          ? url.pathname.slice('/delivery'.length)
          : undefined
    if (deliveryPath !== undefined) reply = await this.deliver(request.method ?? '', deliveryPath, url.searchParams)
    else if (server === 'delivery') reply = { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    else if (url.pathname === '/v1/get_result') reply = this.getResult(server, request, url.searchParams)
    else if (url.pathname.startsWith('/v1/') && this.models.has(url.pathname.slice('/v1/'.length))) {
      reply =
        request.method === 'POST'
          ? await this.submit(url.pathname.slice('/v1/'.length), request, raw)
          : jsonReply(405, { detail: 'Method Not Allowed' })
    } else reply = jsonReply(404, { detail: 'Not Found' })

    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  /** `x-key: <key>`; anything else is 401 (docs.bfl.ai errors page). */
  private unauthorized(request: IncomingMessage): FakeReply | undefined {
    const key = request.headers['x-key']
    if (key === undefined) return jsonReply(401, { detail: 'Not authenticated: send the x-key header' })
    if (key !== this.apiKey) return jsonReply(401, { detail: 'Invalid API key' })
    return undefined
  }

  private async submit(model: string, request: IncomingMessage, raw: Buffer): Promise<FakeReply> {
    const refused = this.unauthorized(request)
    if (refused !== undefined) return refused
    const parsed = parseJsonBody(raw)
    if (!hasJsonContentType(request) || !parsed.ok)
      return jsonReply(422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] })
    const valid = validateBflBody(parsed.value, this.options.imageSafetyMax)
    if (!valid.ok) return jsonReply(422, { detail: valid.issues })

    const fault = this.faults.take()
    switch (fault?.kind) {
      case 'status': {
        const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) }
        return jsonReply(fault.status, STATUS_FAULT_BODIES[fault.status] ?? { detail: STATUS_CODES[fault.status] ?? 'Error' }, headers)
      }
      case 'reset':
        return { kind: 'destroy' }
      case 'hang':
        return { kind: 'hang' }
      default:
        break
    }

    const task = this.accept(model, parsed.value as Record<string, unknown>, valid.value, fault)
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: MALFORMED_SUBMIT }
    const regionOrigin = fault?.kind === 'polling-origin' ? fault.origin : (this.options.publicRegionOrigin ?? this.regionUrl)
    return jsonReply(200, {
      id: task.id,
      polling_url: `${regionOrigin}/v1/get_result?id=${task.id}`,
      cost: this.costOf(model),
      input_mp: valid.value.inputMp,
      output_mp: Math.round((task.width * task.height) / 10_000) / 100
    })
  }

  private costOf(model: string): number {
    return this.costs[model] ?? DEFAULT_COST
  }

  private accept(model: string, body: Record<string, unknown>, valid: ValidBody, fault: BflFault | undefined): Task {
    const now = Date.now()
    const seed = valid.seed ?? randomInt(2 ** 32)
    const task: Task = {
      id: randomUUID(),
      prompt: valid.prompt,
      seed,
      format: valid.format,
      width: valid.output.width,
      height: valid.output.height,
      createdAt: now,
      readyAt: now + this.latencyMs,
      fault,
      faultyPolls: fault?.kind === 'poll-status' || fault?.kind === 'poll-malformed' ? fault.times : 0,
      sampleExpiresAt: undefined
    }
    this.tasks.set(task.id, task)
    this.acceptedTasks.push({ id: task.id, model, body, costCredits: this.costOf(model), width: task.width, height: task.height, at: now })
    return task
  }

  /** `GET /v1/get_result`. The api server does not hold the tasks (they live on the region cluster). */
  private getResult(server: BflServerName, request: IncomingMessage, query: URLSearchParams): FakeReply {
    const refused = this.unauthorized(request)
    if (refused !== undefined) return refused
    const id = query.get('id')
    if (id === null) return jsonReply(422, { detail: [{ type: 'missing', loc: ['query', 'id'], msg: 'Field required' }] })
    const task = server === 'region' ? this.tasks.get(id) : undefined
    const answer = (status: string, extra: Record<string, unknown> = {}): FakeReply =>
      jsonReply(200, { id, status, result: null, progress: null, details: null, preview: null, ...extra })
    if (task === undefined) return answer('Task not found')
    const fault = task.fault
    if (task.faultyPolls > 0 && (fault?.kind === 'poll-status' || fault?.kind === 'poll-malformed')) {
      task.faultyPolls -= 1
      if (fault.kind === 'poll-malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: MALFORMED_POLL }
      return jsonReply(fault.status, { detail: 'Temporarily unavailable' })
    }
    const now = Date.now()
    if (fault?.kind === 'pending-forever' || now < task.readyAt) {
      const span = task.readyAt - task.createdAt
      const progress = fault?.kind === 'pending-forever' || span <= 0 ? null : Math.round(((now - task.createdAt) / span) * 100) / 100
      return answer('Pending', { progress })
    }
    switch (fault?.kind) {
      case 'request-moderated':
        return answer('Request Moderated', { details: { 'Moderation Reasons': ['Derivative Works Filter'] } })
      case 'content-moderated':
        return answer('Content Moderated', { details: { 'Moderation Reasons': ['NSFW'] } })
      case 'error':
        return answer('Error', { details: { error: 'Generation failed' } })
      case 'task-not-found':
        return answer('Task not found')
      default:
        break
    }
    task.sampleExpiresAt ??= fault?.kind === 'expired-sample' ? now - 1000 : now + this.sampleTtlMs
    const origin =
      fault?.kind === 'sample-origin'
        ? fault.origin
        : this.deliveryOn === 'delivery'
          ? (this.options.publicDeliveryOrigin ?? this.deliveryUrl)
          : `${this.url}/delivery`
    const se = String(task.sampleExpiresAt)
    const sample = `${origin}/results/${task.id}/sample.${EXTENSION[task.format]}?se=${se}&sig=${this.sign(task.id, se)}`
    const end = task.readyAt / 1000
    return answer('Ready', {
      result: {
        sample,
        prompt: task.prompt,
        seed: task.seed,
        start_time: task.createdAt / 1000,
        end_time: end,
        duration: end - task.createdAt / 1000
      }
    })
  }

  private sign(id: string, se: string): string {
    return createHmac('sha256', this.secret).update(`${id}|${se}`).digest('hex').slice(0, 32)
  }

  /** The signed delivery URL: no key needed, 403 once expired or when the signature is wrong. */
  private async deliver(method: string, path: string, query: URLSearchParams): Promise<FakeReply> {
    const match = /^\/results\/([0-9a-f-]{36})\/sample\.(png|jpg|webp)$/.exec(path)
    const task = match === null ? undefined : this.tasks.get(match[1]!)
    if (method !== 'GET' || task === undefined || EXTENSION[task.format] !== match?.[2])
      return { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    const se = query.get('se') ?? ''
    if (query.get('sig') !== this.sign(task.id, se) || !(Number(se) > Date.now())) {
      return { kind: 'raw', status: 403, contentType: 'application/xml', body: EXPIRED_BLOB }
    }
    const bytes = await renderAsync(task.format, task.width, task.height, task.seed)
    return {
      kind: 'raw',
      status: 200,
      contentType: MIME[task.format],
      body: task.fault?.kind === 'truncated-image' ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Test helpers
// ---------------------------------------------------------------------------------------------

/** For tests that want to wait for the fake to see something without a timed sleep. */
export async function waitUntilAsync(check: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
