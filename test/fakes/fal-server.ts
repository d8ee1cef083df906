/**
 * A strict fake of fal.ai's queue and storage APIs for FLUX.1 Kontext, FLUX.2 and FLUX.2 [klein] edits, with a fake "CDN" on the
 * same origin for result images and uploaded files. Host notes: docs/hosts.md, "fal". Sources, per
 * behaviour ("fal-js" is fal-ai/fal-js, `libs/client/src/…`):
 *
 * - `POST /{endpoint_id}` with `Authorization: Key <key>` queues a request and answers
 *   `{request_id, status:"IN_QUEUE", queue_position, response_url, status_url, cancel_url}`
 *   (fal-js `queue.ts`, `types/common.ts` `InQueueQueueStatus`; `request.ts` for the headers).
 * - The three URLs use only `{owner}/{app}` (e.g. `/fal-ai/flux-pro/requests/{id}`), as real fal
 *   does, so a URL hand-built from the full endpoint path answers 404 (fal-js `utils.ts`
 *   `parseEndpointId`, `queue.ts`; fal docs "model-endpoints/queue": use the returned URLs).
 * - `GET status_url` answers 202 with IN_QUEUE / IN_PROGRESS, then 200 with COMPLETED (fal docs
 *   "model-endpoints/queue").
 * - A failed request still ends COMPLETED; its error (422 `detail[]`, or an infrastructure
 *   `error_type`) shows only on `GET response_url` (fal docs "errors"; fal-js `response.ts`). So
 *   does input validation: the queue takes any JSON object and the app validates it.
 * - Inputs follow fal-js `types/endpoints.ts`: `FluxKontextInput` (pro, max), `FluxKontextMultiInput`
 *   (`/multi`), `DevKontextEditInput` (dev: no `enhance_prompt`, no `aspect_ratio`, no
 *   `safety_tolerance`; `output_format` defaults to jpeg). Strict, a choice: unknown fields, wrong
 *   types, out-of-range values, bad enums and non-image references are 422 with pydantic-style
 *   `detail[]`, so a field the model does not take fails a test.
 * - FLUX.2 edits (`fal-ai/flux-2-{flex,pro,max}/edit`) follow fal-js `Flux2FlexEditInput` and
 *   `Flux2MaxEditInput` (which `Flux2ProEditInput` is): `image_urls` (required, even for one
 *   reference), `image_size` (`{width, height}`, each defaulting to 512, or "auto" or a preset),
 *   `seed`, `safety_tolerance` "1"–"5", `enable_safety_checker`, `output_format` jpeg|png (default
 *   jpeg), `sync_mode`; [flex] adds `num_inference_steps` and `guidance_scale`. Nothing else: no
 *   `image_url`, `aspect_ratio`, `num_images`, `enhance_prompt` or `guidance_scale` on [pro]/[max].
 *   The answer is fal-js `Emu35Output`: `{images: [{url, content_type, file_name, file_size, width,
 *   height}], seed}`, one image, without Kontext's `has_nsfw_concepts`, `prompt` and `timings`.
 * - FLUX.2 [klein] edits (`fal-ai/flux-2/klein/{4b,9b}/edit`) follow fal-js `Flux2Klein4bEditInput`
 *   (which `Flux2Klein9bEditInput` is): `image_urls` (required, "A maximum of 4 images"),
 *   `image_size` (`{width, height}` or a preset, no "auto"; left out, "uses the input image size"),
 *   `num_images`, `num_inference_steps`, `enable_safety_checker`, `output_format` jpeg|png|webp
 *   (default png), `seed`, `sync_mode`. Nothing else: no `safety_tolerance`, `guidance_scale`,
 *   `enhance_prompt`, `aspect_ratio` or `image_url`. The answer is fal-js `v4Output`
 *   (`Flux2Klein4bEditOutput`): `{images, seed, has_nsfw_concepts, prompt, timings}`, `num_images`
 *   images; the `nsfw` fault flags them as on Kontext.
 * - `PUT cancel_url` answers 202 `CANCELLATION_REQUESTED`, or 400 `ALREADY_COMPLETED` (fal docs
 *   "model-endpoints/queue").
 * - `GET {status_url}/stream` (fal-js `queue.ts` `streamStatus`: `…/requests/{id}/status/stream`,
 *   `?logs=0|1`, the key as for status) answers `text/event-stream` (fal-js `streaming.ts`), each
 *   event's `data` one status body as `GET status_url` gives it, and closes once COMPLETED (fal-js
 *   resolves `done()` with the last event when the stream ends). fal-js calls this mode
 *   experimental and polls by default; the fake sends an event whenever the status changes (it
 *   looks every 20 ms, for at most a minute) and its `no-status-stream` and `garbled-status-stream`
 *   faults stand for a fal (or a proxy before it) without the stream or with a broken one.
 * - Result images are real PNG/JPEG bytes at the size the ratio implies (Kontext) or `image_size`
 *   asks (FLUX.2, see "Choices" below), served without auth from
 *   `/cdn/files/…` on the fake's own origin (real fal: `https://v3b.fal.media/files/…`; fal docs
 *   "media expiration": CDN URLs are public by default).
 * - Storage, as fal's client uploads a file (fal-js `storage.ts`, `initiateUpload` and `upload`):
 *   `POST /storage/upload/initiate?storage_type=fal-cdn-v3` with `Authorization: Key <key>` and
 *   JSON `{content_type, file_name}` answers `{upload_url, file_url}`; `PUT upload_url` with the
 *   bytes stores them; `GET file_url` serves them without auth, and a model input naming that
 *   `file_url` reads them. The fake's `upload_url` is `/storage/presigned/{id}?signature=…` on its
 *   own origin (the real one is presigned on fal's storage, shape not documented).
 *
 * Choices the sources leave open:
 * - A queued fault is consumed only by a submission that is authenticated, names a known endpoint
 *   and whose input is valid; it models what fal does to a request it would take. Upload faults
 *   (`failNextUpload`) are a separate queue, used by the step they name. Both are `FaultQueue`s
 *   (test/fakes/host-fault.ts).
 * - A presigned PUT that also carries an Authorization header is refused with 400, as presigned
 *   object-store URLs refuse a second credential; so a key sent there fails a test.
 * - `submissions()` counts queued requests (every one that got a request_id), valid or not.
 * - A canceled request reports COMPLETED and its result answers 400 `Request was cancelled.`.
 * - The fake fetches no URL but its own uploads: another http(s) `image_url` gets 422
 *   `fake_unsupported`, an upload never PUT gets 422 `file_download_error`. Data URIs of any size
 *   are taken (fal's models accept them; fal documents no size limit for them).
 * - Kontext [dev]'s `resolution_mode` `match_input`/`auto` give the Kontext size nearest the input.
 * - FLUX.2 limits fal-js leaves open: fal labels these endpoints "Partner" (BFL's own API behind
 *   them), so the fake holds them to BFL's (OpenAPI `Flux2Inputs`/`Flux2FlexInputs`, skills): at
 *   most 8 references, `image_size` sides ≥ 64 and multiples of 16 within 4 MP (4 × 1024², the
 *   lenient reading of BFL's "4 MP", so the catalogue's own 4,000,000 is checked by the tests),
 *   steps 1–50, guidance 1.5–10. A FLUX.2 result is an image of exactly the `image_size` asked;
 *   "auto" gives the first reference's size, scaled into 4 MP and floored to ×16 (BFL's edit
 *   default as Prodia documents it), and a preset its usual fal size.
 * - [klein] limits fal-js leaves open: `num_images` 1–4 and `num_inference_steps` 4–8 (fal's klein
 *   model page, fal.ai/models/fal-ai/flux-2/klein/9b/llms.txt); `image_size` as FLUX.2's (BFL's
 *   `Flux2KleinInputs` is `Flux2Inputs`). Without `image_size` the result is the first reference's
 *   size as "auto" gives it above (the input's size, on the model's ×16 grid, within 4 MP).
 * - A webp result is real WebP bytes (test/fakes/make-image.ts `makeWebpAsync`).
 */
import { randomInt, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { imageSize } from 'image-size'
import * as z from 'zod'
import { KONTEXT_SIZES, type KontextSizeSpec } from '../../shared/aspect-ratios'
import { nearestSize } from '../../shared/nearest-size'
import { FaultQueue, type HostFault } from './host-fault'
import {
  closeServerAsync,
  pauseAsync,
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
import { makeJpeg, makePng, makeWebpAsync } from './make-image'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The common faults (test/fakes/host-fault.ts), as they happen on fal's queue. Each is used by the
 * next valid submit (see "Choices" above):
 * - `status`: the submit is refused with that status, fal's infrastructure body
 *   `{detail, error_type}` and `X-Fal-Error-Type` (fal docs "errors"; fal-js `response.ts` reads
 *   both); nothing is queued, so nothing is billed. `Retry-After` when given. fal's own extra
 *   fields: `FalStatusFault`.
 * - `reset`: the socket is destroyed before anything is queued (a connection cut on the way in).
 * - `hang`: the submit is never answered, until the fake closes; nothing is queued.
 * - `reset-after-accept`: the request is queued (it has a request_id and will be billed), then the
 *   socket is destroyed before the answer: fal documents no idempotency key, so the relay cannot
 *   find it again (fal-js `queue.ts` names requests only by the id fal returns).
 * - `malformed`: the submit answers 200 with a JSON body cut off mid-way; the fake queues nothing.
 * - `truncated-image`: the request runs; the CDN serves only the first half of each result image
 *   (fal's CDN, `v3b.fal.media`, serves the bytes as a plain GET, fal docs "media expiration").
 */
export type FalFault = HostFault | FalStatusFault | FalOwnFault

/** The common `status`, with fal's own body fields: `detail` and `error_type` (defaults per status). */
export interface FalStatusFault {
  kind: 'status'
  status: number
  detail?: string
  errorType?: string
  retryAfterSeconds?: number
}

/** Faults only fal has: its balance lock, its COMPLETED-but-failed results, its queue's states. */
export type FalOwnFault =
  /** 403 `User is locked. Reason: Exhausted balance …`, fal's answer to an empty balance; nothing queued. */
  | { kind: 'balance' }
  /** Queued; COMPLETED; the result answers 422 `content_policy_violation`. */
  | { kind: 'moderation' }
  /** Queued; COMPLETED; the result answers 422 with this `detail[].type` (default `image_too_large`). */
  | { kind: 'model-error'; type?: string }
  /** Queued; COMPLETED; the result answers this infrastructure error (`{detail, error_type}` + X-Fal-Error-Type). */
  | { kind: 'infra-error'; status: 500 | 503 | 504; errorType: string }
  /** Queued; the result flags these image indexes in `has_nsfw_concepts` (default: all). */
  | { kind: 'nsfw'; indexes?: number[] }
  /** Queued; stays IN_PROGRESS until canceled or the server closes. */
  | { kind: 'stuck' }
  /** Queued; the status answers IN_QUEUE to the first `queuedPolls` polls, then IN_PROGRESS to `runningPolls` (time does not count). */
  | { kind: 'progress'; queuedPolls: number; runningPolls: number }
  /** Queued; the first `times` status polls answer 502 with an HTML gateway page. */
  | { kind: 'flaky-status'; times: number }
  /** Queued; the status answers 200 with a body that is not JSON, every time. */
  | { kind: 'malformed-status' }
  /** Queued; `status/stream` answers 404 (no stream there); the status itself works. */
  | { kind: 'no-status-stream' }
  /** Queued; `status/stream` sends an event that is not a status, and stays open; the status itself works. */
  | { kind: 'garbled-status-stream' }
  /** Queued; the result answers 200 with a body cut off mid-way. */
  | { kind: 'malformed-result' }
  /** Queued; the CDN answers 404 for the result images (an expired URL). */
  | { kind: 'expired' }

/** A fault for the next upload, used by the step it names (initiate or the presigned PUT). */
export type FalUploadFault =
  /** The step answers this status (initiate: fal's infrastructure body; PUT: an object-store error). */
  | { step: 'initiate' | 'put'; kind: 'status'; status: 401 | 403 | 429 | 500 | 503; retryAfterSeconds?: number }
  /** The step's socket is destroyed before anything is stored. */
  | { step: 'initiate' | 'put'; kind: 'reset' }

/** A file whose bytes were PUT to its presigned URL. */
export interface UploadedFile {
  fileUrl: string
  contentType: string
  fileName: string
  bytes: Uint8Array
}

export interface FakeFalOptions {
  key: string
  /** how long a queued request reports IN_QUEUE (default 0) */
  queueMs?: number
  /** then how long it reports IN_PROGRESS (default 0) */
  runMs?: number
}

export interface RecordedRequest {
  method: string
  /** path without the query */
  path: string
  query: string
  headers: Record<string, string>
  /** parsed JSON, or null */
  body: unknown
}

export interface QueuedRequest {
  requestId: string
  endpoint: string
  input: unknown
}

export interface FakeFal {
  /** e.g. http://127.0.0.1:PORT (the value for FAL_QUEUE_URL) */
  url: string
  key: string
  /** queued requests (each got a request_id), in order */
  readonly queued: ReadonlyArray<QueuedRequest>
  submissions(): number
  /** request ids that received a `PUT cancel_url` */
  readonly cancels: ReadonlyArray<string>
  /** every HTTP request received */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** submit attempts (POSTs to an endpoint), accepted or not */
  submitAttempts(): number
  failNext(fault: FalFault, times?: number): void
  /** Queues a fault for the next upload step(s) it names. */
  failNextUpload(fault: FalUploadFault, times?: number): void
  /** Files uploaded through storage (initiated and PUT), in order. */
  readonly uploads: ReadonlyArray<UploadedFile>
  setLatency(queueMs: number, runMs: number): void
  close(): Promise<void>
}

export async function startFakeFalAsync(options: FakeFalOptions): Promise<FakeFal> {
  const fake = new FakeFalServer(options)
  await fake.listen()
  return fake
}

/** The uniform handle for the cross-host tests (test/fakes/fake-hosts.ts). */
export async function startFalForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeFalAsync({
    key: `fal-key-id-${randomUUID()}:fal-key-secret-${randomUUID()}`,
    ...(options.latencyMs === undefined ? {} : { runMs: options.latencyMs })
  })
  return {
    env: { FAL_KEY: fake.key, FAL_QUEUE_URL: fake.url, FAL_STORAGE_URL: fake.url },
    submissions: () => fake.submissions(),
    // fal's client cannot name a request (it gets the request_id back), so a second submit of the
    // same edit is a new request to fal and to this fake: there is nothing to tell it apart by.
    duplicates: () => 0,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Contract (fal-js `types/endpoints.ts`)
// ---------------------------------------------------------------------------------------------

const RATIOS = KONTEXT_SIZES.map((size) => size.ratio) as [string, ...string[]]
const SAFETY_TOLERANCES = ['1', '2', '3', '4', '5', '6'] as const

/** Fields every Kontext endpoint takes (fal-js `types/endpoints.ts`). */
const COMMON = {
  prompt: z.string().min(1),
  seed: z.int().min(0).optional(),
  guidance_scale: z.number().min(1).max(20).optional(),
  num_images: z.int().min(1).max(4).optional(),
  output_format: z.enum(['jpeg', 'png']).optional(),
  sync_mode: z.boolean().optional()
}

/** `FluxKontextInput`, the same for pro and max. */
const FluxKontextInput = z.strictObject({
  ...COMMON,
  enhance_prompt: z.boolean().optional(),
  image_url: z.string(),
  aspect_ratio: z.enum(RATIOS).optional(),
  safety_tolerance: z.enum(SAFETY_TOLERANCES).optional()
})

/** `FluxKontextMultiInput` (`/multi`): `image_urls[]` in place of `image_url`. */
const FluxKontextMultiInput = z.strictObject({
  ...COMMON,
  enhance_prompt: z.boolean().optional(),
  image_urls: z.array(z.string()).min(1),
  aspect_ratio: z.enum(RATIOS).optional(),
  safety_tolerance: z.enum(SAFETY_TOLERANCES).optional()
})

/** `DevKontextEditInput`: no aspect_ratio, no safety_tolerance, no enhance_prompt; steps 10–50 (fal's model page). */
const FluxKontextDevInput = z.strictObject({
  ...COMMON,
  image_url: z.string(),
  num_inference_steps: z.int().min(10).max(50).optional(),
  acceleration: z.enum(['none', 'regular', 'high']).optional(),
  enable_safety_checker: z.boolean().optional(),
  resolution_mode: z.enum(['auto', 'match_input', ...RATIOS, '4:5', '5:4']).optional()
})

/** BFL's FLUX.2 output budget, "4 MP", read leniently as 4 × 1024² (see "Choices" above). */
const FLUX2_MAX_PIXELS = 4 * 1024 * 1024
/** fal's `ImageSize` (fal-js `types/endpoints.ts`): width and height default to 512. */
const IMAGE_SIZE_DEFAULT = 512
/** fal's `image_size` presets, as its image models size them. */
const FLUX2_PRESETS: Record<string, KontextSizeSpec> = {
  square_hd: { width: 1024, height: 1024 },
  square: { width: 512, height: 512 },
  portrait_4_3: { width: 768, height: 1024 },
  portrait_16_9: { width: 576, height: 1024 },
  landscape_4_3: { width: 1024, height: 768 },
  landscape_16_9: { width: 1024, height: 576 }
}
const FLUX2_SIDE = z.int().min(64).multipleOf(16).optional()
/** fal's `ImageSize` `{width, height}`, held to FLUX.2's grid and budget. */
const Flux2SizeObject = z
  .strictObject({ width: FLUX2_SIDE, height: FLUX2_SIDE })
  .refine((size) => (size.width ?? IMAGE_SIZE_DEFAULT) * (size.height ?? IMAGE_SIZE_DEFAULT) <= FLUX2_MAX_PIXELS, {
    message: `width × height must be at most ${FLUX2_MAX_PIXELS} pixels`
  })
const PRESET_NAMES = Object.keys(FLUX2_PRESETS) as [string, ...string[]]
const Flux2ImageSize = z.union([Flux2SizeObject, z.enum(['auto', ...PRESET_NAMES])])
/** [klein]'s `image_size`: the same, without "auto" (fal-js `Flux2Klein4bEditInput`). */
const KleinImageSize = z.union([Flux2SizeObject, z.enum(PRESET_NAMES)])

/** `Flux2MaxEditInput`, which `Flux2ProEditInput` is: no steps, no guidance, no count. */
const Flux2MaxEditInput = z.strictObject({
  prompt: z.string().min(1),
  image_urls: z.array(z.string()).min(1).max(8),
  image_size: Flux2ImageSize.optional(),
  seed: z.int().min(0).optional(),
  safety_tolerance: z.enum(['1', '2', '3', '4', '5']).optional(),
  enable_safety_checker: z.boolean().optional(),
  output_format: z.enum(['jpeg', 'png']).optional(),
  sync_mode: z.boolean().optional()
})

/** `Flux2FlexEditInput`: [max]'s fields and steps and guidance (ranges: BFL's `Flux2FlexInputs`). */
const Flux2FlexEditInput = z.strictObject({
  ...Flux2MaxEditInput.shape,
  num_inference_steps: z.int().min(1).max(50).optional(),
  guidance_scale: z.number().min(1.5).max(10).optional()
})

/**
 * `Flux2Klein4bEditInput` (= `Flux2Klein9bEditInput`): fal's own schema, with a count, steps and a
 * checker, and neither safety_tolerance nor guidance (ranges: see "Choices" above).
 */
const Flux2KleinEditInput = z.strictObject({
  prompt: z.string().min(1),
  image_urls: z.array(z.string()).min(1).max(4),
  image_size: KleinImageSize.optional(),
  num_images: z.int().min(1).max(4).optional(),
  num_inference_steps: z.int().min(4).max(8).optional(),
  seed: z.int().min(0).optional(),
  enable_safety_checker: z.boolean().optional(),
  output_format: z.enum(['jpeg', 'png', 'webp']).optional(),
  sync_mode: z.boolean().optional()
})

type KontextInput = z.infer<typeof FluxKontextInput> | z.infer<typeof FluxKontextMultiInput> | z.infer<typeof FluxKontextDevInput>
type Flux2Input = z.infer<typeof Flux2FlexEditInput>
type KleinInput = z.infer<typeof Flux2KleinEditInput>
type AnyInput = KontextInput | Flux2Input | KleinInput

/** Which answer an endpoint gives: Kontext's `FluxKontextOutput`, FLUX.2's `Emu35Output` or [klein]'s `v4Output`. */
type Family = 'kontext' | 'flux2' | 'flux2-klein'

/**
 * Per family: the `output_format` when none is sent (fal-js: Kontext's and FLUX.2's partner edits
 * jpeg, [klein] png) and whether the answer carries `has_nsfw_concepts`, `prompt` and `timings`
 * (`FluxKontextOutput` and `v4Output` do, `Emu35Output` does not).
 */
const FAMILY_OUTPUT: Record<Family, { defaultFormat: ImageFormat; flags: boolean }> = {
  kontext: { defaultFormat: 'jpeg', flags: true },
  flux2: { defaultFormat: 'jpeg', flags: false },
  'flux2-klein': { defaultFormat: 'png', flags: true }
}

/** The endpoint ids, the input schema of each and its family (fal-js `types/endpoints.ts`, `EndpointTypeMap`). */
const ENDPOINTS: Record<string, { schema: z.ZodType<AnyInput>; family: Family }> = {
  'fal-ai/flux-pro/kontext/max': { schema: FluxKontextInput, family: 'kontext' },
  'fal-ai/flux-pro/kontext/max/multi': { schema: FluxKontextMultiInput, family: 'kontext' },
  'fal-ai/flux-pro/kontext': { schema: FluxKontextInput, family: 'kontext' },
  'fal-ai/flux-pro/kontext/multi': { schema: FluxKontextMultiInput, family: 'kontext' },
  'fal-ai/flux-kontext/dev': { schema: FluxKontextDevInput, family: 'kontext' },
  'fal-ai/flux-2-flex/edit': { schema: Flux2FlexEditInput, family: 'flux2' },
  'fal-ai/flux-2-pro/edit': { schema: Flux2MaxEditInput, family: 'flux2' },
  'fal-ai/flux-2-max/edit': { schema: Flux2MaxEditInput, family: 'flux2' },
  'fal-ai/flux-2/klein/4b/edit': { schema: Flux2KleinEditInput, family: 'flux2-klein' },
  'fal-ai/flux-2/klein/9b/edit': { schema: Flux2KleinEditInput, family: 'flux2-klein' }
}

/** `InitiateUploadData` (fal-js `storage.ts`). */
const InitiateBody = z.strictObject({ content_type: z.string().min(1), file_name: z.string().min(1) })

/** `DevKontextEditInput.image_url`'s stated limit ("Max width: 14142px"). */
const MAX_IMAGE_SIDE = 14142

/** One item of fal's (pydantic's) `detail[]` (fal docs "errors"; fal-js `types/common.ts` `ValidationErrorInfo`). */
interface DetailItem {
  loc: Array<string | number>
  msg: string
  type: string
  url?: string
  ctx?: Record<string, unknown>
}

function typeForIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'extra_forbidden'
    case 'invalid_type':
      if (issue.input === undefined) return 'missing'
      return (
        (
          {
            string: 'string_type',
            number: 'float_type',
            int: 'int_type',
            boolean: 'bool_type',
            array: 'list_type',
            object: 'dict_type'
          } as Record<string, string>
        )[issue.expected] ?? 'type_error'
      )
    case 'invalid_value':
      return 'literal_error'
    case 'too_small':
      return issue.origin === 'string' ? 'string_too_short' : issue.origin === 'array' ? 'too_short' : 'greater_than_equal'
    case 'too_big':
      return issue.origin === 'array' ? 'too_long' : 'less_than_equal'
    case 'not_multiple_of':
      return 'multiple_of'
    default:
      return 'value_error'
  }
}

function detailFromIssues(issues: ReadonlyArray<z.core.$ZodIssue>): DetailItem[] {
  return issues.flatMap((issue): DetailItem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        loc: ['body', ...issue.path.map(String), key],
        msg: 'Extra inputs are not permitted',
        type: 'extra_forbidden'
      }))
    }
    return [
      {
        loc: ['body', ...issue.path.map((part) => (typeof part === 'number' ? part : String(part)))],
        msg: issue.message,
        type: typeForIssue(issue)
      }
    ]
  })
}

const MIMES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const
type ImageFormat = keyof typeof MIMES

function sniff(bytes: Uint8Array): keyof typeof MIMES | null {
  const at = (signature: number[], offset = 0): boolean => signature.every((byte, i) => bytes[offset + i] === byte)
  if (at([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (at([0xff, 0xd8, 0xff])) return 'jpeg'
  if (at([0x52, 0x49, 0x46, 0x46]) && at([0x57, 0x45, 0x42, 0x50], 8)) return 'webp'
  return null
}

/** What a model reads at a URL: the fake's own uploaded files (undefined: not one; null: not uploaded). */
type ReadUpload = (url: string) => Uint8Array | null | undefined

const DOWNLOAD_FAILED = 'Failed to download the file. Please check that the URL is accessible.'

/** A reference as fal's app reads it: a data URI of a real image, or one of the fake's uploaded files. */
function readReference(value: string, loc: Array<string | number>, readUpload: ReadUpload): KontextSizeSpec | DetailItem {
  const fail = (type: string, msg: string): DetailItem => ({ loc, msg, type, url: `https://docs.fal.ai/errors#${type}` })
  let bytes: Uint8Array | null
  let declared: string | undefined
  if (/^https?:\/\//i.test(value)) {
    const uploaded = readUpload(value)
    if (uploaded === undefined)
      return fail('fake_unsupported', 'This test fake downloads only its own uploads; send a data URI or upload through storage.')
    if (uploaded === null) return fail('file_download_error', DOWNLOAD_FAILED)
    bytes = uploaded
  } else {
    const dataUri = parseDataUri(value)
    if (dataUri === null) return fail('file_download_error', DOWNLOAD_FAILED)
    bytes = decodeStrictBase64(dataUri.base64)
    if (bytes === null) return fail('image_load_error', 'Failed to load the image: the data URI is not valid base64.')
    declared = dataUri.mediaType
  }
  const type = sniff(bytes)
  if (type === null)
    return fail('image_load_error', 'Failed to load the image. Please ensure the image file is not corrupted and is in a supported format.')
  if (declared !== undefined && declared.toLowerCase().replace('image/jpg', 'image/jpeg') !== MIMES[type]) {
    return fail('image_load_error', `The data URI says ${declared} but the bytes are ${MIMES[type]}.`)
  }
  let size: { width: number; height: number }
  try {
    size = imageSize(bytes)
  } catch {
    return fail('image_load_error', 'Failed to load the image: its dimensions cannot be read.')
  }
  if (size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE) {
    return {
      ...fail('image_too_large', `Image dimensions exceed the maximum allowed (${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}).`),
      ctx: { max_height: MAX_IMAGE_SIDE, max_width: MAX_IMAGE_SIDE }
    }
  }
  return { width: size.width, height: size.height }
}

interface ValidInput {
  input: AnyInput
  family: Family
  output: KontextSizeSpec
}

function validate(endpoint: string, raw: unknown, readUpload: ReadUpload): ValidInput | DetailItem[] {
  const { schema, family } = ENDPOINTS[endpoint]!
  const parsed = schema.safeParse(raw, { reportInput: true })
  if (!parsed.success) return detailFromIssues(parsed.error.issues)
  const input = parsed.data
  const references =
    'image_urls' in input
      ? input.image_urls.map((url, i) => ({ url, loc: ['body', 'image_urls', i] }))
      : [{ url: input.image_url, loc: ['body', 'image_url'] }]
  const sizes: KontextSizeSpec[] = []
  const problems: DetailItem[] = []
  for (const reference of references) {
    const read = readReference(reference.url, reference.loc, readUpload)
    if ('type' in read) problems.push(read)
    else sizes.push(read)
  }
  if (problems.length > 0) return problems
  const first = sizes[0]!
  // FLUX.2's and [klein]'s sizes: `image_size`, or the input's own ([klein] "uses the input image size"; FLUX.2's "auto").
  if (family !== 'kontext') return { input, family, output: flux2Size((input as Flux2Input | KleinInput).image_size, first) }
  const ratio = 'aspect_ratio' in input ? input.aspect_ratio : 'resolution_mode' in input ? input.resolution_mode : undefined
  const named = KONTEXT_SIZES.find((size) => size.ratio === ratio)
  const extra = ratio === '4:5' ? { width: 4, height: 5 } : ratio === '5:4' ? { width: 5, height: 4 } : undefined
  const target = named ?? extra ?? first
  const size = nearestSize(KONTEXT_SIZES, target.width, target.height)
  return { input, family, output: { width: size.width, height: size.height } }
}

/** A FLUX.2 result's size: `image_size` exactly, a preset's, or with "auto" the first reference's within 4 MP on ×16. */
function flux2Size(asked: Flux2Input['image_size'], first: KontextSizeSpec): KontextSizeSpec {
  if (typeof asked === 'object') return { width: asked.width ?? IMAGE_SIZE_DEFAULT, height: asked.height ?? IMAGE_SIZE_DEFAULT }
  if (asked !== undefined && asked !== 'auto') return FLUX2_PRESETS[asked]!
  const scale = Math.min(1, Math.sqrt(FLUX2_MAX_PIXELS / (first.width * first.height)))
  const side = (value: number): number => Math.max(64, Math.floor((value * scale) / 16) * 16)
  return { width: side(first.width), height: side(first.height) }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface StoredImage {
  bytes: Uint8Array
  format: ImageFormat
  contentType: string
  width: number
  height: number
  fileName: string
}

interface Job {
  requestId: string
  endpoint: string
  /** `{owner}/{app}`: the only part of the endpoint the queue URLs carry. */
  app: string
  at: number
  queueMs: number
  runMs: number
  valid: ValidInput | DetailItem[]
  fault: FalFault | undefined
  canceled: boolean
  flakyPollsLeft: number
  /** status polls answered so far */
  polls: number
  seed: number
  images: StoredImage[] | undefined
}

const GATEWAY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>'

const STATUS_FAULT_BODIES: Record<number, { detail: string; errorType?: string }> = {
  401: { detail: 'No user found for Key ID and Secret' },
  402: { detail: 'Insufficient balance.' },
  403: { detail: 'Forbidden' },
  429: { detail: 'Too many requests', errorType: 'concurrent_requests_limit' },
  500: { detail: 'Internal Server Error', errorType: 'internal_server_error' },
  502: { detail: 'Bad Gateway', errorType: 'runner_connection_error' },
  503: { detail: 'Runner scheduling failure', errorType: 'runner_scheduling_failure' },
  504: { detail: 'Request timed out', errorType: 'request_timeout' }
}

/** fal's infrastructure error for a refused request: `{detail, error_type}` and X-Fal-Error-Type (fal docs "errors"). */
function statusFaultReply(fault: FalStatusFault): FakeReply {
  const defaults = STATUS_FAULT_BODIES[fault.status] ?? { detail: `Simulated ${fault.status}` }
  const detail = fault.detail ?? defaults.detail
  const errorType = fault.errorType ?? defaults.errorType
  const headers: Record<string, string> = {}
  if (errorType !== undefined) headers['x-fal-error-type'] = errorType
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds)
  return jsonReply(fault.status, errorType === undefined ? { detail } : { detail, error_type: errorType }, headers)
}

const renderCache = new Map<string, Uint8Array>()

/** Each format's encoder: real bytes of a decodable image. */
const ENCODERS: Record<ImageFormat, (width: number, height: number, seed: number) => Uint8Array | Promise<Uint8Array>> = {
  png: makePng,
  jpeg: (width, height, seed) => makeJpeg(width, height, seed),
  webp: makeWebpAsync
}

async function renderAsync(format: ImageFormat, size: KontextSizeSpec, seed: number): Promise<Uint8Array> {
  const key = `${format}:${size.width}x${size.height}:${seed}`
  let bytes = renderCache.get(key)
  if (bytes === undefined) {
    bytes = await ENCODERS[format](size.width, size.height, seed)
    if (renderCache.size > 32) renderCache.delete(renderCache.keys().next().value!)
    renderCache.set(key, bytes)
  }
  return bytes
}

class FakeFalServer implements FakeFal {
  url = ''
  readonly key: string
  private queueMs: number
  private runMs: number
  private readonly jobs = new Map<string, Job>()
  private readonly queuedList: QueuedRequest[] = []
  private readonly cancelList: string[] = []
  private readonly recorded: RecordedRequest[] = []
  private readonly faults = new FaultQueue<FalFault>()
  private readonly uploadFaults = new FaultQueue<FalUploadFault>()
  /** Initiated uploads by id; `bytes` once PUT. */
  private readonly files = new Map<string, { contentType: string; fileName: string; signature: string; bytes: Uint8Array | undefined }>()
  private readonly uploadList: UploadedFile[] = []
  private attempts = 0
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy()
      sendReply(response, jsonReply(500, { detail: `fake crashed: ${error instanceof Error ? error.message : String(error)}` }))
    })
  })
  private closed: Promise<void> | undefined

  constructor(options: FakeFalOptions) {
    this.key = options.key
    this.queueMs = options.queueMs ?? 0
    this.runMs = options.runMs ?? 0
  }

  get queued(): ReadonlyArray<QueuedRequest> {
    return this.queuedList
  }

  get cancels(): ReadonlyArray<string> {
    return this.cancelList
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded
  }

  submissions(): number {
    return this.queuedList.length
  }

  submitAttempts(): number {
    return this.attempts
  }

  failNext(fault: FalFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  failNextUpload(fault: FalUploadFault, times = 1): void {
    this.uploadFaults.failNext(fault, times)
  }

  get uploads(): ReadonlyArray<UploadedFile> {
    return this.uploadList
  }

  setLatency(queueMs: number, runMs: number): void {
    this.queueMs = queueMs
    this.runMs = runMs
  }

  async listen(): Promise<void> {
    this.url = await listenOnLoopbackAsync(this.server)
  }

  close(): Promise<void> {
    this.closed ??= closeServerAsync(this.server)
    return this.closed
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBodyAsync(request)
    const [path = '/', query = ''] = (request.url ?? '/').split('?', 2)
    const body = parseJsonBody(raw)
    this.recorded.push({ method: request.method ?? '', path, query, headers: copyHeaders(request), body: body.ok ? body.value : null })
    const reply = await this.route(request, path, query, body, raw)
    if (this.closed !== undefined) return
    deliverReply(request, response, reply)
  }

  private route(request: IncomingMessage, path: string, query: string, body: ParsedJsonBody, raw: Buffer): FakeReply | Promise<FakeReply> {
    const method = request.method ?? ''
    const cdn = /^\/cdn\/files\/([0-9a-f-]{36})\/(\d+)\.(png|jpeg|webp)$/.exec(path)
    if (cdn !== null) return method === 'GET' ? this.cdn(cdn[1]!, Number(cdn[2])) : jsonReply(405, { detail: 'Method Not Allowed' })
    const uploaded = /^\/cdn\/uploads\/([0-9a-f-]{36})\/[^/]+$/.exec(path)
    if (uploaded !== null) return method === 'GET' ? this.serveUpload(uploaded[1]!) : jsonReply(405, { detail: 'Method Not Allowed' })
    const presigned = /^\/storage\/presigned\/([0-9a-f-]{36})$/.exec(path)
    if (presigned !== null)
      return method === 'PUT'
        ? this.put(request, presigned[1]!, query, raw)
        : { kind: 'raw', status: 405, contentType: 'application/xml', body: '<Error><Code>MethodNotAllowed</Code></Error>' }

    const unauthorized = this.authenticate(request.headers.authorization)
    if (unauthorized !== undefined) return unauthorized

    if (path === '/storage/upload/initiate')
      return method === 'POST' ? this.initiate(request, query, body) : jsonReply(405, { detail: 'Method Not Allowed' })

    const queue = /^\/([^/]+)\/([^/]+)\/requests\/([^/]+)(\/status\/stream|\/status|\/cancel)?$/.exec(path)
    if (queue !== null) {
      const job = this.jobs.get(queue[3]!)
      // The queue URLs carry {owner}/{app} only, and the one the request was queued on (fal-js `queue.ts`).
      if (job === undefined || job.app !== `${queue[1]}/${queue[2]}`) return jsonReply(404, { detail: 'Request not found' })
      if (queue[4] === '/status') return method === 'GET' ? this.status(job) : jsonReply(405, { detail: 'Method Not Allowed' })
      if (queue[4] === '/status/stream') return method === 'GET' ? this.statusStream(job) : jsonReply(405, { detail: 'Method Not Allowed' })
      if (queue[4] === '/cancel') return method === 'PUT' ? this.cancel(job) : jsonReply(405, { detail: 'Method Not Allowed' })
      return method === 'GET' ? this.resultAsync(job) : jsonReply(405, { detail: 'Method Not Allowed' })
    }

    const endpoint = path.replace(/^\/+|\/+$/g, '')
    if (ENDPOINTS[endpoint] === undefined) return jsonReply(404, { detail: `Application '${endpoint}' not found` })
    if (method !== 'POST') return jsonReply(405, { detail: 'Method Not Allowed' })
    return this.submit(request, endpoint, body)
  }

  /** `Authorization: Key <key>` (fal-js `request.ts`); anything else is 401. */
  private authenticate(header: string | undefined): FakeReply | undefined {
    if (header === undefined) return jsonReply(401, { detail: 'Missing authorization header' })
    const match = /^Key (.+)$/.exec(header)
    if (match === null) return jsonReply(401, { detail: "Authorization header must be 'Key <key>'" })
    if (match[1] !== this.key) return jsonReply(401, { detail: 'No user found for Key ID and Secret' })
    return undefined
  }

  private submit(request: IncomingMessage, endpoint: string, body: ParsedJsonBody): FakeReply {
    this.attempts += 1
    if (!hasJsonContentType(request) || !body.ok || !isRecord(body.value)) {
      return jsonReply(422, {
        detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary (a JSON object sent as application/json)', type: 'dict_type' }]
      })
    }
    const valid = validate(endpoint, body.value, (url) => this.readUpload(url))
    const fault = Array.isArray(valid) ? undefined : this.faults.take()
    switch (fault?.kind) {
      case 'status':
        return statusFaultReply(fault)
      case 'balance':
        return jsonReply(403, { detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' })
      case 'reset':
        return { kind: 'destroy' }
      case 'hang':
        return { kind: 'hang' }
      case 'malformed':
        return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"request_id":"' }
      default:
        break
    }
    const job = this.enqueue(endpoint, body.value, valid, fault)
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    return jsonReply(200, { request_id: job.requestId, status: 'IN_QUEUE', queue_position: 0, ...this.urls(job) })
  }

  private enqueue(endpoint: string, input: unknown, valid: ValidInput | DetailItem[], fault: FalFault | undefined): Job {
    const requestId = randomUUID()
    const seed = !Array.isArray(valid) && valid.input.seed !== undefined ? valid.input.seed : randomInt(2 ** 31)
    const job: Job = {
      requestId,
      endpoint,
      app: endpoint.split('/').slice(0, 2).join('/'),
      at: Date.now(),
      queueMs: this.queueMs,
      runMs: this.runMs,
      valid,
      fault,
      canceled: false,
      flakyPollsLeft: fault?.kind === 'flaky-status' ? fault.times : 0,
      polls: 0,
      seed,
      images: undefined
    }
    this.jobs.set(requestId, job)
    this.queuedList.push({ requestId, endpoint, input })
    return job
  }

  private urls(job: Job): { response_url: string; status_url: string; cancel_url: string } {
    const base = `${this.url}/${job.app}/requests/${job.requestId}`
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` }
  }

  private phase(job: Job): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' {
    if (job.canceled) return 'COMPLETED'
    if (job.fault?.kind === 'progress') {
      if (job.polls <= job.fault.queuedPolls) return 'IN_QUEUE'
      return job.polls <= job.fault.queuedPolls + job.fault.runningPolls ? 'IN_PROGRESS' : 'COMPLETED'
    }
    const elapsed = Date.now() - job.at
    if (elapsed < job.queueMs) return 'IN_QUEUE'
    if (job.fault?.kind === 'stuck' || elapsed < job.queueMs + job.runMs) return 'IN_PROGRESS'
    return 'COMPLETED'
  }

  /** The status body of each phase, as `GET status_url` answers it. */
  private statusBody(job: Job, phase: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED'): Record<string, unknown> {
    const common = { request_id: job.requestId, response_url: this.urls(job).response_url }
    if (phase === 'IN_QUEUE') return { status: phase, queue_position: 0, ...common }
    if (phase === 'IN_PROGRESS') return { status: phase, logs: null, ...common }
    return { status: phase, logs: null, metrics: { inference_time: (job.runMs || 100) / 1000 }, ...common }
  }

  /** Server-sent events: the status whenever it changes, closed once COMPLETED; never past a minute. */
  private statusStream(job: Job): FakeReply {
    if (job.fault?.kind === 'no-status-stream') return jsonReply(404, { detail: 'Not Found' })
    const garbled = job.fault?.kind === 'garbled-status-stream'
    const events = async function* (this: FakeFalServer, gone: AbortSignal): AsyncGenerator<string> {
      if (garbled) {
        yield 'data: {"status":"DONE"}\n\n'
        await pauseAsync(60_000, gone)
        return
      }
      let last: string | undefined
      for (let tick = 0; tick < 3000 && !gone.aborted; tick += 1) {
        const phase = this.phase(job)
        if (phase !== last) {
          last = phase
          yield `data: ${JSON.stringify(this.statusBody(job, phase))}\n\n`
        }
        if (phase === 'COMPLETED') return
        await pauseAsync(20, gone)
      }
    }
    return { kind: 'stream', status: 200, contentType: 'text/event-stream; charset=utf-8', chunks: (gone) => events.call(this, gone) }
  }

  /** 202 while queued or running, 200 once COMPLETED, also when the request failed (fal docs "model-endpoints/queue"). */
  private status(job: Job): FakeReply {
    if (job.flakyPollsLeft > 0) {
      job.flakyPollsLeft -= 1
      return { kind: 'raw', status: 502, contentType: 'text/html', body: GATEWAY_PAGE }
    }
    if (job.fault?.kind === 'malformed-status')
      return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"status":"COMPL' }
    job.polls += 1
    const phase = this.phase(job)
    return jsonReply(phase === 'COMPLETED' ? 200 : 202, this.statusBody(job, phase))
  }

  private cancel(job: Job): FakeReply {
    this.cancelList.push(job.requestId)
    if (this.phase(job) === 'COMPLETED') return jsonReply(400, { status: 'ALREADY_COMPLETED' })
    job.canceled = true
    return jsonReply(202, { status: 'CANCELLATION_REQUESTED' })
  }

  /** The output, or the request's own error: fal's only place for it (fal docs "errors"). */
  private async resultAsync(job: Job): Promise<FakeReply> {
    if (this.phase(job) !== 'COMPLETED') return jsonReply(400, { detail: 'Request is still in progress' })
    if (job.canceled) return jsonReply(400, { detail: 'Request was cancelled.' })
    if (Array.isArray(job.valid)) return jsonReply(422, { detail: job.valid })
    const loc = ['body', 'image_url' in job.valid.input ? 'image_url' : 'image_urls']
    switch (job.fault?.kind) {
      case 'moderation':
        return jsonReply(422, {
          detail: [
            {
              loc,
              msg: 'The content could not be processed because it contained material flagged by a content checker.',
              type: 'content_policy_violation',
              url: 'https://docs.fal.ai/errors#content_policy_violation'
            }
          ]
        })
      case 'model-error': {
        const type = job.fault.type ?? 'image_too_large'
        return jsonReply(422, { detail: [{ loc, msg: `Simulated ${type}.`, type, url: `https://docs.fal.ai/errors#${type}` }] })
      }
      case 'infra-error':
        return jsonReply(
          job.fault.status,
          { detail: `Simulated ${job.fault.errorType}`, error_type: job.fault.errorType },
          { 'x-fal-error-type': job.fault.errorType }
        )
      case 'malformed-result':
        return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"images":[{"url":"' }
      default:
        break
    }
    const { input, family } = job.valid
    // FLUX.2's partner output has no has_nsfw_concepts to flag images in: a test asking for it is wrong.
    if (!FAMILY_OUTPUT[family].flags && job.fault?.kind === 'nsfw')
      return jsonReply(500, { detail: 'fake: the nsfw fault needs has_nsfw_concepts, which FLUX.2 outputs lack' })
    const images = await this.imagesOfAsync(job, job.valid)
    const flagged = job.fault?.kind === 'nsfw' ? (job.fault.indexes ?? images.map((_, i) => i)) : []
    const output = {
      images: images.map((image, index) => ({
        url:
          input.sync_mode === true
            ? `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`
            : `${this.url}/cdn/files/${job.requestId}/${index}.${image.format}`,
        content_type: image.contentType,
        width: image.width,
        height: image.height,
        file_name: image.fileName,
        file_size: image.bytes.byteLength
      })),
      seed: job.seed
    }
    // `Emu35Output` is images and seed only; `FluxKontextOutput` and `v4Output` add the rest.
    const body = !FAMILY_OUTPUT[family].flags
      ? output
      : {
          ...output,
          has_nsfw_concepts: images.map((_, index) => flagged.includes(index)),
          prompt: input.prompt,
          timings: { inference: (job.runMs || 100) / 1000 }
        }
    return jsonReply(200, body, { 'x-fal-request-id': job.requestId })
  }

  private async imagesOfAsync(job: Job, valid: ValidInput): Promise<StoredImage[]> {
    if (job.images !== undefined) return job.images
    const format = valid.input.output_format ?? FAMILY_OUTPUT[valid.family].defaultFormat
    // FLUX.2's partner edits have no num_images: one image a request.
    const count = 'num_images' in valid.input ? (valid.input.num_images ?? 1) : 1
    const images = await Promise.all(
      Array.from({ length: count }, async (_, index): Promise<StoredImage> => ({
        bytes: await renderAsync(format, valid.output, job.seed + index),
        format,
        contentType: MIMES[format],
        width: valid.output.width,
        height: valid.output.height,
        fileName: `${job.requestId.slice(0, 8)}_${index}.${format}`
      }))
    )
    job.images ??= images
    return job.images
  }

  private takeUploadFault(step: 'initiate' | 'put'): FalUploadFault | undefined {
    return this.uploadFaults.take((fault): fault is FalUploadFault => fault.step === step)
  }

  /** fal-js `storage.ts` `initiateUpload`: JSON `{content_type, file_name}` in, `{upload_url, file_url}` out. */
  private initiate(request: IncomingMessage, query: string, body: ParsedJsonBody): FakeReply {
    if (!hasJsonContentType(request) || !body.ok)
      return jsonReply(422, { detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }] })
    const parsed = InitiateBody.safeParse(body.value, { reportInput: true })
    if (!parsed.success) return jsonReply(422, { detail: detailFromIssues(parsed.error.issues) })
    const fault = this.takeUploadFault('initiate')
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    if (fault?.kind === 'status') return statusFaultReply(fault)
    const id = randomUUID()
    const signature = randomUUID().replaceAll('-', '')
    const storageType = new URLSearchParams(query).get('storage_type') ?? ''
    this.files.set(id, { contentType: parsed.data.content_type, fileName: parsed.data.file_name, signature, bytes: undefined })
    return jsonReply(200, {
      upload_url: `${this.url}/storage/presigned/${id}?storage_type=${encodeURIComponent(storageType)}&signature=${signature}`,
      file_url: this.fileUrl(id, parsed.data.file_name)
    })
  }

  /** The presigned PUT: its signature is the credential, so a second one (an Authorization header) is refused. */
  private put(request: IncomingMessage, id: string, query: string, raw: Buffer): FakeReply {
    const file = this.files.get(id)
    const xml = (status: number, code: string): FakeReply => ({
      kind: 'raw',
      status,
      contentType: 'application/xml',
      body: `<Error><Code>${code}</Code></Error>`
    })
    if (file === undefined || new URLSearchParams(query).get('signature') !== file.signature) return xml(403, 'SignatureDoesNotMatch')
    if (request.headers.authorization !== undefined) return xml(400, 'InvalidArgument')
    const fault = this.takeUploadFault('put')
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    if (fault?.kind === 'status') {
      const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) }
      return {
        kind: 'raw',
        status: fault.status,
        contentType: 'application/xml',
        body: `<Error><Code>Simulated${fault.status}</Code></Error>`,
        ...(headers === undefined ? {} : { headers })
      }
    }
    file.bytes = new Uint8Array(raw)
    this.uploadList.push({
      fileUrl: this.fileUrl(id, file.fileName),
      contentType: request.headers['content-type'] ?? '',
      fileName: file.fileName,
      bytes: file.bytes
    })
    return { kind: 'raw', status: 200, contentType: 'text/plain', body: '' }
  }

  private fileUrl(id: string, fileName: string): string {
    return `${this.url}/cdn/uploads/${id}/${encodeURIComponent(fileName)}`
  }

  /** The bytes at one of this fake's file URLs: undefined when the URL is not one, null before its PUT. */
  private readUpload(url: string): Uint8Array | null | undefined {
    const match = /^\/cdn\/uploads\/([0-9a-f-]{36})\/[^/]+$/.exec(url.startsWith(this.url) ? url.slice(this.url.length) : '')
    if (match === null) return undefined
    return this.files.get(match[1]!)?.bytes ?? null
  }

  /** An uploaded file, public like fal's CDN (fal docs "media expiration"). */
  private serveUpload(id: string): FakeReply {
    const file = this.files.get(id)
    if (file?.bytes === undefined) return { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    return { kind: 'raw', status: 200, contentType: file.contentType, body: file.bytes }
  }

  /** The "CDN": public (no auth), like fal's media URLs by default (fal docs "media expiration"). */
  private cdn(requestId: string, index: number): FakeReply {
    const job = this.jobs.get(requestId)
    const image = job?.images?.[index]
    if (job === undefined || image === undefined || job.fault?.kind === 'expired')
      return { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    const bytes = job.fault?.kind === 'truncated-image' ? image.bytes.slice(0, Math.floor(image.bytes.byteLength / 2)) : image.bytes
    return { kind: 'raw', status: 200, contentType: image.contentType, body: bytes }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
