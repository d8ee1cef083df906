/**
 * A strict fake of Black Forest Labs' API, limited to what the relay uses: `POST /v1/{model}`
 * (FLUX.1 Kontext and any model path the test configures; FLUX.2 [pro], [max] and [flex]) and
 * `GET /v1/get_result?id=…`. Host notes: docs/hosts.md, "Black Forest Labs". Sources, per behaviour:
 *
 * - Request body: BFL's OpenAPI (`https://api.bfl.ai/openapi.json`, schema `FluxKontextProInputs`,
 *   also kept in tryAGI/BlackForestLabs `src/libs/BlackForestLabs/openapi.json`): the field set
 *   below, `safety_tolerance` an integer 0–6, `output_format` jpeg | png | webp, `aspect_ratio`
 *   "between 21:9 and 9:21", `input_image` … `input_image_4` "Base64 encoded image or URL".
 * - FLUX.2 request body: the same OpenAPI, schemas `Flux2Inputs` (`/v1/flux-2-pro`, `/v1/flux-2-max`)
 *   and `Flux2FlexInputs` (`/v1/flux-2-flex`): `input_image` … `input_image_8`; `width` / `height`
 *   integers ≥ 64 or null; `seed`; `safety_tolerance` an integer 0–5 (not nullable); no
 *   `aspect_ratio`. Only [flex] has `steps` (integer 1–50), `guidance` (number 1.5–10) and
 *   `prompt_upsampling` (boolean or null), and an internal `input_image_blob_path` the fake does not
 *   serve. Sides in multiples of 16, 64 px at least and 4 MP in all: BFL's skills
 *   (black-forest-labs/skills `skills/bfl-api/references/endpoints.md`, "Resolution Constraints").
 *   `output_format` jpeg | png, default jpeg: the same endpoints.md and docs.bfl.ai's FLUX.2 reference
 *   pages (the OpenAPI's shared `OutputFormat` enum also lists webp; the fake keeps to the FLUX.2
 *   pages). [pro]'s references at most 9 MP together: docs.bfl.ai `/flux_2/flux2_image_editing`.
 *   Without width and height the output follows the first reference (Prodia's BFL wrapper, a
 *   secondary source; BFL says nothing), within 4 MP on the 16 px grid.
 * - FLUX.2 cost: `cost` in credits (1 credit = $0.01) with `input_mp` / `output_mp` to "2 decimal
 *   places" (OpenAPI `AsyncResponse`). The credits follow BFL's skills (`skills/bfl-api/SKILL.md`,
 *   "Pricing formula"): first MP + per-MP price × (output MP − 1) + per-MP price × input MP, at 3 / 1.5
 *   ([pro]), 7 / 3 ([max]) and 5 / 5 ([flex]) cents. Below one output megapixel the first is still
 *   whole (a BFL answer quoted by a third party, yutoai's docs: 65×65 on [pro] cost 3.0 with
 *   output_mp 0.0). Whether BFL bills the 2-decimal figures or rounds them up is not documented: the
 *   fake bills the figures it reports.
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
 * - FLUX.2 sizes off the 16 px grid, over 4 MP or over 4096 px a side (the last from Prodia's wrapper
 *   only), a width without a height, and [pro] references over 9 MP together are refused with a 422:
 *   BFL does not say whether it refuses or adjusts them (a third-party example shows 65×65 accepted),
 *   and the relay asks for exact grid sizes because it checks the image it gets back.
 *
 * Where sources disagree: Replicate's schema for its BFL-backed Kontext models and ComfyUI's BFL
 * node (`comfy_api_nodes/apis/bfl_api.py`) cap `safety_tolerance` at 2 with an input image, while
 * BFL's OpenAPI allows 0–6. The fake follows BFL's OpenAPI by default; `imageSafetyMax: 2` makes
 * it refuse more with an input image, so the adapter's handling of that refusal stays tested.
 *
 * Faults: `BflFault`, the common kinds of test/fakes/host-fault.ts (what each means here is written
 * beside the type) and BFL's own. A queued fault is used by the next submission that passes auth
 * and validation, so an invalid request still gets its 422. `submissions()` counts accepted
 * (billable) tasks. Cost: `costs[model]` credits where the test names the path, else FLUX.2's formula
 * above, else Kontext's flat price (8 for max and unknown paths, 4 for pro); moderated tasks report
 * the cost at submit like the real API (BFL says it does not charge them).
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
  /**
   * Model paths under /v1/ that accept Kontext's body (default flux-kontext-max and flux-kontext-pro).
   * The FLUX.2 paths (`FLUX2_ENDPOINTS`) are always served with FLUX.2's body, and cannot be listed here.
   */
  models?: readonly string[]
  /** How long a task stays Pending (default 0). */
  latencyMs?: number
  /** Flat credits per task by model path (default: FLUX.2's formula; 8 for flux-kontext-max and unknown Kontext paths, 4 for flux-kontext-pro). */
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

/** FLUX.2 output sizes (skills endpoints.md, "Resolution Constraints"; the 4096 px side from Prodia's wrapper only). */
const FLUX2_STEP = 16
const FLUX2_MIN_SIDE = 64
const FLUX2_MAX_PIXELS = 4_000_000
const FLUX2_MAX_SIDE = 4096
/** Skills endpoints.md and docs.bfl.ai's FLUX.2 pages: "jpeg" or "png", default "jpeg". */
const FLUX2_OUTPUT_FORMATS: readonly OutputFormat[] = ['jpeg', 'png']

/** A numeric field as the OpenAPI types it (pydantic's messages on failure). */
interface NumberRule {
  integer: boolean
  nullable: boolean
  min?: number
  max?: number
}

/** One FLUX.2 endpoint: its body (OpenAPI `Flux2Inputs` / `Flux2FlexInputs`) and its price in cents (skills SKILL.md). */
export interface Flux2Endpoint {
  images: readonly string[]
  numbers: Readonly<Record<string, NumberRule>>
  booleans: readonly string[]
  /** Fields of the schema the fake does not serve: 422, naming the fake's limit. */
  unserved: readonly string[]
  firstMpCents: number
  mpCents: number
  /** Pixels of all references together, where BFL states a limit. */
  maxInputPixels?: number
}

const FLUX2_IMAGE_FIELDS = ['input_image', ...[2, 3, 4, 5, 6, 7, 8].map((n) => `input_image_${n}`)]
const FLUX2_NUMBERS: Record<string, NumberRule> = {
  seed: { integer: true, nullable: true },
  width: { integer: true, nullable: true, min: FLUX2_MIN_SIDE },
  height: { integer: true, nullable: true, min: FLUX2_MIN_SIDE },
  // Typed `integer` alone, unlike the other fields: null is refused.
  safety_tolerance: { integer: true, nullable: false, min: 0, max: 5 }
}
const FLUX2_PRO_MAX = { images: FLUX2_IMAGE_FIELDS, numbers: FLUX2_NUMBERS, booleans: [], unserved: ['webhook_url', 'webhook_secret'] }

/** The FLUX.2 paths the fake serves, by the path segment after /v1/. */
export const FLUX2_ENDPOINTS: Readonly<Record<string, Flux2Endpoint>> = {
  // "[pro] up to 8 via API (9MP total limit)": docs.bfl.ai /flux_2/flux2_image_editing.
  'flux-2-pro': { ...FLUX2_PRO_MAX, firstMpCents: 3, mpCents: 1.5, maxInputPixels: 9_000_000 },
  'flux-2-max': { ...FLUX2_PRO_MAX, firstMpCents: 7, mpCents: 3 },
  // `Flux2KleinInputs`: `Flux2Inputs` with input_image … input_image_4 (OpenAPI); 1.4¢ + 0.1¢ and 1.5¢ + 0.2¢ a megapixel (skills SKILL.md).
  'flux-2-klein-4b': { ...FLUX2_PRO_MAX, images: FLUX2_IMAGE_FIELDS.slice(0, 4), firstMpCents: 1.4, mpCents: 0.1 },
  'flux-2-klein-9b': { ...FLUX2_PRO_MAX, images: FLUX2_IMAGE_FIELDS.slice(0, 4), firstMpCents: 1.5, mpCents: 0.2 },
  'flux-2-flex': {
    images: FLUX2_IMAGE_FIELDS,
    numbers: {
      ...FLUX2_NUMBERS,
      steps: { integer: true, nullable: true, min: 1, max: 50 },
      guidance: { integer: false, nullable: true, min: 1.5, max: 10 }
    },
    booleans: ['prompt_upsampling'],
    unserved: ['webhook_url', 'webhook_secret', 'input_image_blob_path'],
    firstMpCents: 5,
    mpCents: 5
  }
}

function flux2EndpointOf(path: string): Flux2Endpoint | undefined {
  return Object.hasOwn(FLUX2_ENDPOINTS, path) ? FLUX2_ENDPOINTS[path] : undefined
}

interface ValidationIssue {
  type: string
  loc: Array<string | number>
  msg: string
  input?: unknown
}

type Issue = (field: string, type: string, msg: string, input?: unknown) => void

interface ValidBody {
  prompt: string
  seed: number | undefined
  output: { width: number; height: number }
  format: OutputFormat
  inputMp: number
}

type Validation = { ok: true; value: ValidBody } | { ok: false; issues: ValidationIssue[] }

/** Megapixels to 2 decimals, as BFL reports `input_mp` and `output_mp`. */
function megapixels(pixels: number): number {
  return Math.round(pixels / 10_000) / 100
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

/** FastAPI's issue list, and the function that adds to it. */
function issueCollector(): { issues: ValidationIssue[]; issue: Issue } {
  const issues: ValidationIssue[] = []
  const issue: Issue = (field, type, msg, input) => {
    issues.push(input === undefined ? { type, loc: ['body', field], msg } : { type, loc: ['body', field], msg, input: smallInput(input) })
  }
  return { issues, issue }
}

function notAnObject(raw: unknown): Validation | undefined {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return undefined
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

function checkPrompt(body: Record<string, unknown>, issue: Issue): void {
  if (body.prompt === undefined) issue('prompt', 'missing', 'Field required')
  else if (typeof body.prompt !== 'string') issue('prompt', 'string_type', 'Input should be a valid string', body.prompt)
}

/** The reference fields (raw base64 of a PNG, JPEG or WEBP, as the header says); the sizes of those that pass. */
function checkImages(body: Record<string, unknown>, fields: readonly string[], issue: Issue): Array<{ width: number; height: number }> {
  const images: Array<{ width: number; height: number }> = []
  for (const field of fields) {
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
  return images
}

/** Checks a Kontext submission body; returns the issues (FastAPI style) or the parsed request. */
export function validateBflBody(raw: unknown, imageSafetyMax = 6): Validation {
  const refused = notAnObject(raw)
  if (refused !== undefined) return refused
  const { issues, issue } = issueCollector()
  const body = raw as Record<string, unknown>
  for (const key of Object.keys(body)) {
    if (!BODY_FIELDS.has(key)) issue(key, 'extra_forbidden', 'Extra inputs are not permitted', body[key])
  }
  const present = (key: string): boolean => body[key] !== undefined && body[key] !== null

  checkPrompt(body, issue)
  const images = checkImages(body, IMAGE_FIELDS, issue)
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
      inputMp: megapixels(images.reduce((sum, image) => sum + image.width * image.height, 0))
    }
  }
}

function checkNumber(body: Record<string, unknown>, field: string, rule: NumberRule, issue: Issue): void {
  const value = body[field]
  if (value === undefined || (value === null && rule.nullable)) return
  if (typeof value !== 'number')
    issue(
      field,
      rule.integer ? 'int_type' : 'float_type',
      rule.integer ? 'Input should be a valid integer' : 'Input should be a valid number',
      value
    )
  else if (rule.integer && !Number.isInteger(value))
    issue(field, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part', value)
  else if (rule.min !== undefined && value < rule.min)
    issue(field, 'greater_than_equal', `Input should be greater than or equal to ${rule.min}`, value)
  else if (rule.max !== undefined && value > rule.max)
    issue(field, 'less_than_equal', `Input should be less than or equal to ${rule.max}`, value)
}

/** Width and height, once typed right: together, on the grid, within 4 MP (the header's stricter rules). */
function checkFlux2Size(body: Record<string, unknown>, issue: Issue): void {
  const width = body.width as number | null | undefined
  const height = body.height as number | null | undefined
  const given = (side: number | null | undefined): side is number => side !== undefined && side !== null
  if (!given(width) && !given(height)) return
  if (!given(width) || !given(height)) {
    issue(given(width) ? 'height' : 'width', 'value_error', 'Value error, send width and height together (a rule of the fake)')
    return
  }
  for (const [field, side] of [
    ['width', width],
    ['height', height]
  ] as const) {
    if (side % FLUX2_STEP !== 0) issue(field, 'value_error', `Value error, ${field} must be a multiple of ${FLUX2_STEP}`, side)
    else if (side > FLUX2_MAX_SIDE) issue(field, 'value_error', `Value error, ${field} must be at most ${FLUX2_MAX_SIDE}`, side)
  }
  if (width * height > FLUX2_MAX_PIXELS)
    issue('width', 'value_error', `Value error, width × height must be at most 4 megapixels, got ${width}×${height}`)
}

/** The output without width and height: the first reference's size, within 4 MP on the grid; 1024² without one (the fake's choice). */
function flux2DefaultSize(first: { width: number; height: number } | undefined): { width: number; height: number } {
  if (first === undefined) return { width: 1024, height: 1024 }
  const scale = Math.min(1, Math.sqrt(FLUX2_MAX_PIXELS / (first.width * first.height)))
  const snap = (side: number): number => Math.max(FLUX2_MIN_SIDE, Math.floor((side * scale) / FLUX2_STEP) * FLUX2_STEP)
  return { width: snap(first.width), height: snap(first.height) }
}

/** Checks a FLUX.2 submission body against its endpoint's schema; the issues (FastAPI style) or the parsed request. */
export function validateFlux2Body(raw: unknown, endpoint: Flux2Endpoint): Validation {
  const refused = notAnObject(raw)
  if (refused !== undefined) return refused
  const { issues, issue } = issueCollector()
  const body = raw as Record<string, unknown>
  const fields = new Set([
    'prompt',
    'output_format',
    ...endpoint.images,
    ...Object.keys(endpoint.numbers),
    ...endpoint.booleans,
    ...endpoint.unserved
  ])
  for (const key of Object.keys(body)) {
    if (!fields.has(key)) issue(key, 'extra_forbidden', 'Extra inputs are not permitted', body[key])
  }
  const present = (key: string): boolean => body[key] !== undefined && body[key] !== null

  checkPrompt(body, issue)
  const images = checkImages(body, endpoint.images, issue)
  for (const [field, rule] of Object.entries(endpoint.numbers)) checkNumber(body, field, rule, issue)
  for (const field of endpoint.booleans) {
    if (present(field) && typeof body[field] !== 'boolean') issue(field, 'bool_type', 'Input should be a valid boolean', body[field])
  }
  if (present('output_format') && !FLUX2_OUTPUT_FORMATS.includes(body.output_format as OutputFormat)) {
    issue('output_format', 'enum', "Input should be 'jpeg' or 'png'", body.output_format)
  }
  for (const field of endpoint.unserved) {
    if (present(field)) issue(field, 'value_error', `Value error, this fake does not serve ${field} (a limit of the fake, not of BFL)`)
  }
  if (!issues.some((found) => found.loc[1] === 'width' || found.loc[1] === 'height')) checkFlux2Size(body, issue)
  const inputPixels = images.reduce((sum, image) => sum + image.width * image.height, 0)
  if (endpoint.maxInputPixels !== undefined && inputPixels > endpoint.maxInputPixels)
    issue(
      'input_image',
      'value_error',
      `Value error, the input images have ${megapixels(inputPixels)} MP together; at most ${megapixels(endpoint.maxInputPixels)} MP`
    )
  if (issues.length > 0) return { ok: false, issues }

  return {
    ok: true,
    value: {
      prompt: body.prompt as string,
      seed: present('seed') ? (body.seed as number) : undefined,
      output: present('width') ? { width: body.width as number, height: body.height as number } : flux2DefaultSize(images[0]),
      format: (present('output_format') ? body.output_format : 'jpeg') as OutputFormat,
      inputMp: megapixels(inputPixels)
    }
  }
}

/**
 * A FLUX.2 task's credits (skills SKILL.md): the first megapixel, each further one and each input one
 * at the endpoint's prices, on the 2-decimal megapixels the answer reports; the first is whole below 1 MP.
 */
function flux2Credits(endpoint: Flux2Endpoint, valid: ValidBody): number {
  const extraMp = Math.max(0, megapixels(valid.output.width * valid.output.height) - 1)
  return Math.round((endpoint.firstMpCents + endpoint.mpCents * (extraMp + valid.inputMp)) * 10_000) / 10_000
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
    const clash = [...this.models].find((model) => flux2EndpointOf(model) !== undefined)
    if (clash !== undefined) throw new Error(`${clash} takes FLUX.2's body; list only Kontext paths in models`)
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
    else if (url.pathname.startsWith('/v1/') && this.validatorOf(url.pathname.slice('/v1/'.length)) !== undefined) {
      reply =
        request.method === 'POST'
          ? await this.submit(url.pathname.slice('/v1/'.length), request, raw)
          : jsonReply(405, { detail: 'Method Not Allowed' })
    } else reply = jsonReply(404, { detail: 'Not Found' })

    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  /** How a model path's body is checked: FLUX.2's schema on its paths, Kontext's on the configured ones. */
  private validatorOf(model: string): ((raw: unknown) => Validation) | undefined {
    const flux2 = flux2EndpointOf(model)
    if (flux2 !== undefined) return (raw) => validateFlux2Body(raw, flux2)
    return this.models.has(model) ? (raw) => validateBflBody(raw, this.options.imageSafetyMax) : undefined
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
    const valid = this.validatorOf(model)!(parsed.value)
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

    const costCredits = this.costOf(model, valid.value)
    const task = this.accept(model, parsed.value as Record<string, unknown>, valid.value, costCredits, fault)
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: MALFORMED_SUBMIT }
    const regionOrigin = fault?.kind === 'polling-origin' ? fault.origin : (this.options.publicRegionOrigin ?? this.regionUrl)
    return jsonReply(200, {
      id: task.id,
      polling_url: `${regionOrigin}/v1/get_result?id=${task.id}`,
      cost: costCredits,
      input_mp: valid.value.inputMp,
      output_mp: megapixels(task.width * task.height)
    })
  }

  private costOf(model: string, valid: ValidBody): number {
    const flat = this.costs[model]
    if (flat !== undefined) return flat
    const flux2 = flux2EndpointOf(model)
    return flux2 === undefined ? DEFAULT_COST : flux2Credits(flux2, valid)
  }

  private accept(model: string, body: Record<string, unknown>, valid: ValidBody, costCredits: number, fault: BflFault | undefined): Task {
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
    this.acceptedTasks.push({ id: task.id, model, body, costCredits, width: task.width, height: task.height, at: now })
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
