/**
 * A strict fake of Replicate's HTTP API, limited to what the relay uses. Host notes: docs/hosts.md,
 * "Replicate". Sources, per behaviour ("the client" is replicate/replicate-javascript):
 *
 * - Creating predictions of the FLUX.1 Kontext models, `POST /v1/models/{owner}/{name}/predictions`
 *   with `{"input":{…}}` and `Prefer: wait=N` (1–60) (the client's `lib/predictions.js`, `index.js`
 *   `request`; replicate.com/docs "create a prediction"); following them, `GET /v1/predictions/{id}`;
 *   cancelling them, `POST /v1/predictions/{id}/cancel`; the prediction object and its statuses
 *   (the client's `index.d.ts`, `Prediction`); serving their output files as replicate.delivery
 *   does, but on the fake's own origin.
 * - `Authorization: Bearer <token>` on every API route (the client's `index.js` `request`).
 * - Model inputs follow each model's schema on replicate.com (flux-kontext-max/-pro/-dev and
 *   flux-kontext-apps/multi-image-kontext-max/-pro API pages), with BFL's cap of safety_tolerance 2
 *   when an input image is sent.
 * - FLUX.2 [pro] and [max] follow their version API pages (flux-2-pro 285631b5…, flux-2-max
 *   9c23b0aa…): `input_images` (at most 8), `aspect_ratio` (default "1:1"), `resolution`, `width` /
 *   `height` 256–2048 used only with `aspect_ratio` "custom" (×32 on [pro], ×16 on [max]),
 *   `safety_tolerance` 1–5 with no cap for input images, `seed`, `output_format`, `output_quality`
 *   0–100; no `prompt_upsampling`. The option lists of `aspect_ratio`, `resolution` and
 *   `output_format`, which those pages do not print, and all of [flex] (the same plus `steps` 1–50,
 *   `guidance` 1.5–10, `prompt_upsampling`, up to 10 images) come from mirrors of Replicate's schema
 *   (cinemasetfree.com, cloudernative.com; docs/flux2.md §4); where they disagree on [flex]'s grid
 *   (32 or 16) the fake takes 32. Their output is one URI string (each page's output schema).
 * - FLUX.2 [klein] 4B follows its version API page (flux-2-klein-4b 8e9c42d7…; docs/flux2.md §4):
 *   `images` (at most 5; not `input_images`), `aspect_ratio` (default "1:1"; "match_input_image"
 *   follows the first image), `output_megapixels` (default "1"), `seed`, `go_fast` (default false),
 *   `output_format` (default "jpg"), `output_quality` 0–100 (default 95), `disable_safety_checker`
 *   (default false); no width, height, resolution, safety_tolerance, steps, guidance or
 *   prompt_upsampling. Its output is a list of URIs (the page's output schema). The page prints no
 *   option lists: `aspect_ratio`'s are FLUX.2's above without "custom", `output_format`'s FLUX.2's,
 *   and `output_megapixels` takes the strings "1", "2" and "4" that public code sends. [klein] 9B is
 *   not here: its version page was not found (docs/flux2.md §4 marks it unconfirmed).
 * - Files: `POST /v1/files` takes a multipart body with the file in `content` and an optional JSON
 *   `metadata` part, and answers the file object with `urls.get` (the client's `lib/files.js`
 *   `createFile`, `index.d.ts` `FileObject`, README "replicate.files.create"); `GET urls.get`
 *   answers that file object (`lib/files.js` `getFile`); `DELETE /v1/files/{id}` answers 204 and
 *   removes it (`lib/files.js` `deleteFile`, which reads 204 as deleted; the client's `request`
 *   throws on anything not ok, so an unknown id is a 404). A model input naming a file's `urls.get`
 *   reads its bytes, as the client's `transformFileInputsToReplicateFileURLs` relies on.
 *   Data URIs stay accepted for small files (replicate.com/docs/topics/predictions/input-files).
 *
 * Stricter than the real API, on purpose:
 * - Cog silently drops unknown input fields on the real API. This fake answers them with a 422
 *   naming the field, so a relay that sends a field the model does not take (a misspelt name,
 *   `safety_tolerance` to Kontext [dev], `prompt_upsampling` to the multi-image app) fails a test
 *   instead of being ignored in production.
 * - Only `Authorization: Bearer <token>` is accepted (the real API also takes the older `Token`).
 * - Input images must be data URIs of real PNG/JPEG/GIF/WEBP bytes, or this fake's own files; the
 *   fake fetches no other URL.
 * - Unknown top-level body fields, webhooks (which the fake cannot deliver), a body that is not
 *   JSON, a Content-Type other than application/json and a `Prefer: wait` outside 1–60 are refused.
 * - A file upload without a `content` file part, or whose `metadata` is not a JSON object, is 400.
 * - FLUX.2: the real API rounds a `width`/`height` off the model's grid to the nearest multiple and
 *   ignores `width`/`height` without `aspect_ratio` "custom", and `resolution` with it. Each would
 *   silently change the frame's size, so the fake answers them with a 422 instead. Kontext-only
 *   fields (`input_image`, `input_image_1`…, `num_inference_steps`) are unknown fields there.
 *
 * Choices the sources leave open: FLUX.2's `aspect_ratio` "custom" without both `width` and
 * `height` is refused, and so is [klein]'s "match_input_image" without an image; [klein]'s output is
 * the ratio (or the first image's) at `output_megapixels` × 1024² pixels, sides rounded to 16, the
 * long one at most 2048 (the real sizes are not documented: the relay cannot ask for them, and takes
 * what comes back); a FLUX.2 output not asked for by width × height is the ratio (or the first
 * image's) at the `resolution`'s megapixels (1 MP = 1024², `match_input_image`: the first image's,
 * clamped to 0.5–4 MP), sides on the grid and at most 2048 (the real sizes are not documented, and
 * the relay does not ask for them). The 422 body follows the shape the real API is seen to send
 * (`title`, `detail` with one "- input.field: …" line per problem, `status`, `invalid_fields[]`);
 * 402 and other errors carry `detail` (and `title`, `status`); a file create answers 201. A queued
 * fault is used only by a create that passes validation; upload faults (`failNextUpload`) are a
 * separate queue.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { imageSize } from 'image-size'
import * as z from 'zod'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { nearestKontextSize } from '../../shared/nearest-kontext-size'
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
  waitUnlessClosedAsync,
  type FakeHostHandle,
  type FakeHostOptions,
  type FakeReply,
  type ParsedJsonBody
} from './fake-http'
import { FaultQueue, type HostFault } from './host-fault'
import { makeJpeg, makePng, makeWebpAsync } from './make-image'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The faults this fake produces. The common kinds (test/fakes/host-fault.ts) all act on a create,
 * `POST /v1/models/{owner}/{name}/predictions`, that passed validation; on Replicate's wire:
 *
 * - `status`: answered with that status, no prediction created (nothing billed). The client retries
 *   a POST on a 429 only, never on a 5xx (the client's `index.js` `request`, `shouldRetry`), so a
 *   429 is the one answer it treats as "not created"; the fake's 5xx are "not created" too, and the
 *   relay must still not resubmit after one other than 503 (docs/hosts.md, "Replicate"). 429 and
 *   503 carry Retry-After (30 s unless `retryAfterSeconds`), which the client's `lib/util.js`
 *   `withAutomaticRetries` honours; any other status carries it when `retryAfterSeconds` is given.
 *   502 is the HTML page of the gateway in front of the API; other bodies carry `detail`.
 * - `reset`: the socket is destroyed before the prediction is created (nothing billed).
 * - `hang`: the create is never answered (until the fake closes); nothing is created.
 * - `reset-after-accept` (was `reset-after-create`): the prediction IS created (billed), then the
 *   socket is destroyed without an answer, as when the connection drops during the `Prefer: wait`
 *   hold (the client's `lib/predictions.js` `createPrediction` sends `Prefer: wait`).
 * - `malformed`: the prediction IS created (billed), then the 201 body is cut off (not JSON).
 * - `truncated-image`: the prediction succeeds, but its output file, served as replicate.delivery
 *   serves it, is cut off half-way (a complete HTTP answer, a short body).
 *
 * The kinds only Replicate has follow the prediction object's statuses and `error` (the client's
 * `index.d.ts`, `Prediction`; docs/hosts.md, "Replicate").
 */
export type ReplicateFault =
  | HostFault
  /** The prediction ends `failed` with Replicate's E005 moderation error. */
  | { kind: 'moderation' }
  /** The prediction ends `failed` with a model error. */
  | { kind: 'model-error'; message?: string }
  /** The prediction ends `aborted` (its deadline passed before it started; not charged). */
  | { kind: 'aborted' }
  /** The prediction ends `succeeded` with `output: null`. */
  | { kind: 'no-output' }
  /** The prediction succeeds, but its output URL answers 404 (the data was removed). */
  | { kind: 'expired-output' }
  /** The next `times` polls of this prediction answer with this status. */
  | { kind: 'poll-status'; status: 429 | 500 | 503; times?: number }
  /** The next `times` polls of this prediction answer 200 with a cut-off body. */
  | { kind: 'poll-malformed'; times?: number }

/** A fault for the next `POST /v1/files`. */
export type ReplicateUploadFault =
  /** Answered without storing the file. 429 and 503 carry Retry-After. */
  | { kind: 'status'; status: 401 | 413 | 429 | 500 | 503; retryAfterSeconds?: number }
  /** The socket is destroyed before the file is stored. */
  | { kind: 'reset' }

/** A file created through `POST /v1/files`. */
export interface UploadedFile {
  id: string
  /** its `urls.get` */
  url: string
  name: string
  contentType: string
  metadata: unknown
  bytes: Uint8Array
}

export interface FakeReplicateOptions {
  /** The API token the fake accepts (default: a random `r8_…`). */
  token?: string
  /** How long a prediction takes from creation to its end (default 20 ms). */
  latencyMs?: number
  /** How long it stays `starting` before `processing` (default 0). */
  startingMs?: number
}

export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string>
  /** The parsed JSON body, or null. */
  body: unknown
}

export interface CreatedPrediction {
  id: string
  /** `owner/name` from the path */
  model: string
  /** the body exactly as received */
  body: Record<string, unknown>
  headers: Record<string, string>
}

export interface FakeReplicate {
  /** e.g. http://127.0.0.1:PORT (the value for REPLICATE_API_URL) */
  url: string
  token: string
  /** Predictions created (accepted, billable), in order. */
  readonly predictions: ReadonlyArray<CreatedPrediction>
  submissions(): number
  /** The ids of every cancel call received, in order. */
  readonly cancels: ReadonlyArray<string>
  /** Every HTTP request received. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** The current status of a prediction. */
  statusOf(id: string): Promise<PredictionStatus | undefined>
  /** Queues a fault for the next valid create(s), used once each, in order. */
  failNext(fault: ReplicateFault, times?: number): void
  /** Queues a fault for the next file upload(s). */
  failNextUpload(fault: ReplicateUploadFault, times?: number): void
  /** Files uploaded through `POST /v1/files`, in order, deleted ones included. */
  readonly uploads: ReadonlyArray<UploadedFile>
  /** The ids `DELETE /v1/files/{id}` removed, in order. */
  readonly deletedFiles: ReadonlyArray<string>
  /** The latency of predictions created from now on. */
  setLatency(ms: number): void
  close(): Promise<void>
}

export async function startFakeReplicateAsync(options: FakeReplicateOptions = {}): Promise<FakeReplicate> {
  const fake = new FakeReplicateServer(options)
  await fake.listen()
  return fake
}

/** The uniform handle for the cross-host end-to-end test. */
export async function startReplicateForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeReplicateAsync({ ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }) })
  return {
    env: { REPLICATE_API_TOKEN: fake.token, REPLICATE_API_URL: fake.url },
    submissions: () => fake.submissions(),
    // Replicate lets the client choose no prediction id, so the fake cannot tell a second submission of one job from a new job.
    duplicates: () => 0,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Contract (each model's schema on replicate.com)
// ---------------------------------------------------------------------------------------------

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted'

const ASPECT_RATIOS = [
  'match_input_image',
  '1:1',
  '16:9',
  '9:16',
  '4:3',
  '3:4',
  '3:2',
  '2:3',
  '4:5',
  '5:4',
  '21:9',
  '9:21',
  '2:1',
  '1:2'
] as const
type AspectRatio = (typeof ASPECT_RATIOS)[number]

const Prompt = z.string().min(1)
const ImageField = z.string()
const AspectRatioField = z.enum(ASPECT_RATIOS).default('match_input_image')
const Seed = z.int().optional()

/** flux-kontext-max / flux-kontext-pro. */
const ProMaxInput = z.strictObject({
  prompt: Prompt,
  input_image: ImageField.optional(),
  aspect_ratio: AspectRatioField,
  seed: Seed,
  output_format: z.enum(['jpg', 'png']).default('png'),
  safety_tolerance: z.int().min(0).max(6).default(2),
  prompt_upsampling: z.boolean().default(false)
})

/** flux-kontext-apps/multi-image-kontext-max / -pro: two images, safety at most 2, no upsampling. */
const MultiInput = z.strictObject({
  prompt: Prompt,
  input_image_1: ImageField,
  input_image_2: ImageField,
  aspect_ratio: AspectRatioField,
  seed: Seed,
  output_format: z.enum(['jpg', 'png']).default('png'),
  safety_tolerance: z.int().min(0).max(2).default(2)
})

/** flux-kontext-dev: steps, guidance, webp by default, no safety_tolerance. */
const DevInput = z.strictObject({
  prompt: Prompt,
  input_image: ImageField,
  aspect_ratio: AspectRatioField,
  num_inference_steps: z.int().min(4).max(50).default(30),
  guidance: z.number().min(0).max(10).default(2.5),
  seed: Seed,
  output_format: z.enum(['webp', 'jpg', 'png']).default('webp'),
  output_quality: z.int().min(0).max(100).default(80),
  disable_safety_checker: z.boolean().default(false),
  go_fast: z.boolean().default(true)
})

/** FLUX.2's `aspect_ratio` options (Kontext's 21:9, 9:21, 2:1 and 1:2 are not among them). */
const FLUX2_ASPECT_RATIOS = ['match_input_image', 'custom', '1:1', '16:9', '3:2', '2:3', '4:5', '5:4', '9:16', '3:4', '4:3'] as const
const FLUX2_RESOLUTIONS = ['match_input_image', '0.5 MP', '1 MP', '2 MP', '4 MP'] as const
type Flux2Resolution = (typeof FLUX2_RESOLUTIONS)[number]
const FLUX2_MIN_SIDE = 256
/** "The maximum image size is 2048x2048" (the `resolution` field's description). */
const FLUX2_MAX_SIDE = 2048

interface Flux2Model {
  maxImages: number
  /** the grid `width`/`height` are on */
  step: number
}

/** The fields FLUX.2 [pro] and [max] share with [flex]; `resolution` has no default here, so that one sent with "custom" is seen. */
function flux2Fields({ maxImages, step }: Flux2Model) {
  const side = z.int().min(FLUX2_MIN_SIDE).max(FLUX2_MAX_SIDE).multipleOf(step)
  return {
    prompt: Prompt,
    input_images: z.array(ImageField).max(maxImages).default([]),
    aspect_ratio: z.enum(FLUX2_ASPECT_RATIOS).default('1:1'),
    resolution: z.enum(FLUX2_RESOLUTIONS).optional(),
    width: side.optional(),
    height: side.optional(),
    safety_tolerance: z.int().min(1).max(5).default(2),
    seed: Seed,
    output_format: z.enum(['webp', 'jpg', 'png']).default('webp'),
    output_quality: z.int().min(0).max(100).default(80)
  }
}

interface Flux2Sizing {
  aspect_ratio: string
  resolution?: string | undefined
  width?: number | undefined
  height?: number | undefined
}

/** `width`/`height` "only used when aspect_ratio=custom", `resolution` "not used" then: refused rather than ignored. */
function checkFlux2Sizing(input: Flux2Sizing, context: z.RefinementCtx): void {
  const custom = input.aspect_ratio === 'custom'
  for (const side of ['width', 'height'] as const) {
    if (custom && input[side] === undefined) {
      context.addIssue({ code: 'custom', path: [side], message: `${side} is required with aspect_ratio "custom" (a choice of this fake)` })
    }
    if (!custom && input[side] !== undefined) {
      context.addIssue({
        code: 'custom',
        path: [side],
        message: `${side} is used only with aspect_ratio "custom" (the real API ignores it; this fake refuses it)`
      })
    }
  }
  if (custom && input.resolution !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['resolution'],
      message: 'resolution is not used with aspect_ratio "custom" (the real API ignores it; this fake refuses it)'
    })
  }
}

const flux2Input = (model: Flux2Model) => z.strictObject(flux2Fields(model)).superRefine(checkFlux2Sizing)

/** flux-2-flex: the FLUX.2 fields plus steps, guidance and prompt upsampling (on by default). */
const flux2FlexInput = (model: Flux2Model) =>
  z
    .strictObject({
      ...flux2Fields(model),
      steps: z.int().min(1).max(50).default(30),
      guidance: z.number().min(1.5).max(10).default(4.5),
      prompt_upsampling: z.boolean().default(true)
    })
    .superRefine(checkFlux2Sizing)

/** [klein]'s `aspect_ratio` options: FLUX.2's without "custom" (it has no width or height). */
const KLEIN_ASPECT_RATIOS = FLUX2_ASPECT_RATIOS.filter((ratio) => ratio !== 'custom')
/** "1" is the page's default; "2" and "4" are what public code sends. Strings, like FLUX.2's `resolution`. */
const KLEIN_MEGAPIXELS = ['1', '2', '4'] as const
const KLEIN_MAX_IMAGES = 5

/** flux-2-klein-4b: one `images` list, a shape and a megapixel option, no safety_tolerance. */
const KleinInput = z
  .strictObject({
    prompt: Prompt,
    images: z.array(ImageField).max(KLEIN_MAX_IMAGES).default([]),
    aspect_ratio: z.enum(KLEIN_ASPECT_RATIOS).default('1:1'),
    output_megapixels: z.enum(KLEIN_MEGAPIXELS).default('1'),
    seed: Seed,
    go_fast: z.boolean().default(false),
    output_format: z.enum(['webp', 'jpg', 'png']).default('jpg'),
    output_quality: z.int().min(0).max(100).default(95),
    disable_safety_checker: z.boolean().default(false)
  })
  .superRefine((input, context) => {
    if (input.aspect_ratio === 'match_input_image' && input.images.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['aspect_ratio'],
        message: 'match_input_image needs an input image (a choice of this fake)'
      })
    }
  })

interface ModelSpec {
  schema: z.ZodType<Record<string, unknown>>
  /** The fields that carry images: a string each, or (FLUX.2's `input_images`) a list of them. */
  imageFields: readonly string[]
  /** Whether the output is a list of URIs ([klein]) rather than one URI string. */
  listOutput?: boolean
  /** the cap on safety_tolerance when an input image is sent (BFL's rule), if the model takes it */
  safetyCapWithImage?: number
  /** The size of the output for this (validated) input. */
  sizeOf(input: Record<string, unknown>, firstImage: Dimensions | undefined): Dimensions
}

const kontextSize = (input: Record<string, unknown>, firstImage: Dimensions | undefined): Dimensions =>
  sizeFor(input.aspect_ratio as AspectRatio, firstImage)

function flux2Model(model: Flux2Model, schemaOf: (model: Flux2Model) => z.ZodType<Record<string, unknown>>): ModelSpec {
  return {
    schema: schemaOf(model),
    imageFields: ['input_images'],
    sizeOf: (input, firstImage) => flux2SizeFor(input, firstImage, model.step)
  }
}

const MODELS: Record<string, ModelSpec> = {
  'black-forest-labs/flux-kontext-max': { schema: ProMaxInput, imageFields: ['input_image'], safetyCapWithImage: 2, sizeOf: kontextSize },
  'black-forest-labs/flux-kontext-pro': { schema: ProMaxInput, imageFields: ['input_image'], safetyCapWithImage: 2, sizeOf: kontextSize },
  'black-forest-labs/flux-kontext-dev': { schema: DevInput, imageFields: ['input_image'], sizeOf: kontextSize },
  'flux-kontext-apps/multi-image-kontext-max': { schema: MultiInput, imageFields: ['input_image_1', 'input_image_2'], sizeOf: kontextSize },
  'flux-kontext-apps/multi-image-kontext-pro': { schema: MultiInput, imageFields: ['input_image_1', 'input_image_2'], sizeOf: kontextSize },
  'black-forest-labs/flux-2-pro': flux2Model({ maxImages: 8, step: 32 }, flux2Input),
  'black-forest-labs/flux-2-max': flux2Model({ maxImages: 8, step: 16 }, flux2Input),
  'black-forest-labs/flux-2-flex': flux2Model({ maxImages: 10, step: 32 }, flux2FlexInput),
  'black-forest-labs/flux-2-klein-4b': { schema: KleinInput, imageFields: ['images'], listOutput: true, sizeOf: kleinSizeFor }
}

/** The body around `input`: webhooks are part of the real API, but this fake cannot deliver them. */
const CreateBody = z.strictObject({ input: z.record(z.string(), z.unknown()) })

const MODERATION_ERROR = 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)'
const DEFAULT_LATENCY_MS = 20
const MAX_REFERENCE_BYTES = 100 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Validation errors (422)
// ---------------------------------------------------------------------------------------------

interface InvalidField {
  type: string
  field: string
  description: string
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>
  ) {
    super(String(body.detail))
  }
}

function validationFailed(fields: InvalidField[]): Rejection {
  return new Rejection(422, {
    title: 'Input validation failed',
    detail: fields.map((field) => `- ${field.field}: ${field.description}\n`).join(''),
    status: 422,
    invalid_fields: fields
  })
}

function describeIssue(issue: z.core.$ZodIssue): InvalidField[] {
  const path = ['input', ...issue.path.map(String)]
  const name = issue.path.map(String).join('.')
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        type: 'additional_property_not_allowed',
        field: 'input',
        description: `Additional property ${key} is not allowed`
      }))
    case 'invalid_type':
      return issue.input === undefined
        ? [{ type: 'required', field: 'input', description: `${name} is required` }]
        : [
            {
              type: 'invalid_type',
              field: path.join('.'),
              description: `Invalid type. Expected: ${issue.expected === 'int' ? 'integer' : issue.expected}, given: ${jsonType(issue.input)}`
            }
          ]
    case 'invalid_value':
      return [
        {
          type: 'enum',
          field: path.join('.'),
          description: `${name} must be one of the following: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
        }
      ]
    case 'too_big':
      return [{ type: 'number_lte', field: path.join('.'), description: `Must be less than or equal to ${String(issue.maximum)}` }]
    case 'too_small':
      return issue.origin === 'string'
        ? [
            {
              type: 'string_gte',
              field: path.join('.'),
              description: `String length must be greater than or equal to ${String(issue.minimum)}`
            }
          ]
        : [{ type: 'number_gte', field: path.join('.'), description: `Must be greater than or equal to ${String(issue.minimum)}` }]
    default:
      return [{ type: issue.code, field: path.join('.'), description: issue.message }]
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

// ---------------------------------------------------------------------------------------------
// Input images
// ---------------------------------------------------------------------------------------------

interface Dimensions {
  width: number
  height: number
}

/** The fake's `uri` format check is stricter than a data URI: a lower-case `type/subtype` only. */
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9.+-]+$/

function sniff(bytes: Uint8Array): string | undefined {
  const starts = (signature: number[], offset = 0): boolean => signature.every((byte, i) => bytes[offset + i] === byte)
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (starts([0x47, 0x49, 0x46, 0x38])) return 'image/gif'
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp'
  return undefined
}

/** The bytes of one of the fake's own files at `url`: undefined when the URL is not one, null when no such file. */
type ReadUpload = (url: string) => Uint8Array | null | undefined

/** A data URI of a real image, or one of the fake's own files, or the 422 for that field. */
function readImage(field: string, value: string, readUpload: ReadUpload): Dimensions {
  const fail = (description: string): Rejection => validationFailed([{ type: 'format', field: `input.${field}`, description }])
  let bytes: Uint8Array | null
  let mime: string | undefined
  if (/^https?:\/\//i.test(value)) {
    const uploaded = readUpload(value)
    if (uploaded === undefined)
      throw fail('this test fake fetches only its own files; send a data URI or upload the file (a limit of the fake, not of Replicate)')
    if (uploaded === null) throw fail('the file could not be fetched (no such file)')
    bytes = uploaded
  } else {
    const dataUri = parseDataUri(value)
    if (dataUri === null || !MEDIA_TYPE.test(dataUri.mediaType)) throw fail("Does not match format 'uri'")
    mime = dataUri.mediaType
    bytes = decodeStrictBase64(dataUri.base64)
    if (bytes === null) throw fail('the data URI is not valid base64')
  }
  if (bytes.byteLength > MAX_REFERENCE_BYTES) throw fail('the file is too large')
  const type = sniff(bytes)
  if (type === undefined) throw fail('the file is not a JPEG, PNG, GIF or WEBP image')
  if (mime !== undefined && type !== mime) throw fail(`the data URI says ${mime} but the bytes are ${type}`)
  try {
    const { width, height } = imageSize(bytes)
    if (width > 0 && height > 0) return { width, height }
  } catch {
    // fall through
  }
  throw fail('the image dimensions cannot be read')
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

/** About one megapixel, sides a multiple of 16, for the ratios outside the nine Kontext sizes. */
function sizeFor(ratio: AspectRatio, firstImage: Dimensions | undefined): Dimensions {
  if (ratio === 'match_input_image') {
    const size = firstImage === undefined ? KONTEXT_SIZES[4] : nearestKontextSize(firstImage.width, firstImage.height)
    return { width: size.width, height: size.height }
  }
  const known = KONTEXT_SIZES.find((size) => size.ratio === ratio)
  if (known !== undefined) return { width: known.width, height: known.height }
  const [w = 1, h = 1] = ratio.split(':').map(Number)
  const width = Math.round(Math.sqrt((1024 * 1024 * w) / h) / 16) * 16
  return { width, height: Math.round((width * h) / w / 16) * 16 }
}

const FLUX2_MEGAPIXELS: Record<Exclude<Flux2Resolution, 'match_input_image'>, number> = {
  '0.5 MP': 0.5,
  '1 MP': 1,
  '2 MP': 2,
  '4 MP': 4
}

/**
 * FLUX.2's output: exactly `width` × `height` with "custom"; otherwise the fake's choice (see the
 * header): the ratio, or the first image's, at the `resolution`'s pixels, on the grid, at most 2048.
 */
function flux2SizeFor(input: Record<string, unknown>, firstImage: Dimensions | undefined, step: number): Dimensions {
  if (input.aspect_ratio === 'custom') return { width: input.width as number, height: input.height as number }
  const ratio = input.aspect_ratio as (typeof FLUX2_ASPECT_RATIOS)[number]
  const shape = ratio === 'match_input_image' ? (firstImage ?? { width: 1, height: 1 }) : ratioDimensions(ratio)
  const resolution = (input.resolution ?? '1 MP') as Flux2Resolution
  const megapixel = 1024 * 1024
  const pixels =
    resolution === 'match_input_image'
      ? Math.min(4 * megapixel, Math.max(0.5 * megapixel, firstImage === undefined ? megapixel : firstImage.width * firstImage.height))
      : FLUX2_MEGAPIXELS[resolution] * megapixel
  const aspect = shape.width / shape.height
  const snap = (side: number): number => Math.min(FLUX2_MAX_SIDE, Math.max(FLUX2_MIN_SIDE, Math.round(side / step) * step))
  return { width: snap(Math.sqrt(pixels * aspect)), height: snap(Math.sqrt(pixels / aspect)) }
}

/** [klein]'s output, the fake's choice (see the header): the shape at the option's 1024² pixels, on a 16-px grid, 2048 at most. */
function kleinSizeFor(input: Record<string, unknown>, firstImage: Dimensions | undefined): Dimensions {
  const shape = input.aspect_ratio === 'match_input_image' ? firstImage! : ratioDimensions(input.aspect_ratio as string)
  const pixels = Number(input.output_megapixels) * 1024 * 1024
  const aspect = shape.width / shape.height
  const [width, height] = [Math.sqrt(pixels * aspect), Math.sqrt(pixels / aspect)]
  const fit = Math.min(1, FLUX2_MAX_SIDE / Math.max(width, height))
  const snap = (side: number): number => Math.max(16, Math.round((side * fit) / 16) * 16)
  return { width: snap(width), height: snap(height) }
}

function ratioDimensions(ratio: string): Dimensions {
  const [width = 1, height = 1] = ratio.split(':').map(Number)
  return { width, height }
}

type FileFormat = 'png' | 'jpg' | 'webp'
const MIME: Record<FileFormat, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' }

const renderCache = new Map<string, Uint8Array>()

/** Real bytes at the output size; cached, since a 1 MP image takes a while and tests reuse seeds. */
async function renderAsync(format: FileFormat, size: Dimensions, seed: number, quality: number): Promise<Uint8Array> {
  const key = `${format}:${size.width}x${size.height}:${seed}:${quality}`
  const cached = renderCache.get(key)
  if (cached !== undefined) return cached
  const bytes =
    format === 'png'
      ? makePng(size.width, size.height, seed)
      : format === 'jpg'
        ? makeJpeg(size.width, size.height, seed, Math.max(1, quality))
        : await makeWebpAsync(size.width, size.height, seed)
  if (renderCache.size >= 32) renderCache.delete(renderCache.keys().next().value!)
  renderCache.set(key, bytes)
  return bytes
}

interface StoredFile {
  bytes: Uint8Array
  contentType: string
  expired: boolean
  truncated: boolean
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Outcome {
  status: 'succeeded' | 'failed' | 'canceled' | 'aborted'
  output: string | string[] | null
  error: string | null
  completedAt: number
}

interface StoredPrediction {
  id: string
  model: string
  input: Record<string, unknown>
  createdAt: number
  startingMs: number
  latencyMs: number
  seed: number
  size: Dimensions
  /** Whether the output is a list of URIs. */
  listOutput: boolean
  format: FileFormat
  quality: number
  fault: ReplicateFault | undefined
  pollFaults: Array<'malformed' | 429 | 500 | 503>
  outcome: Outcome | undefined
  finishing: Promise<Outcome> | undefined
}

const UNAUTHENTICATED = { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 }
const NOT_FOUND = { title: 'Not found', detail: 'The requested resource could not be found.', status: 404 }
const STATUS_BODIES: Record<number, Record<string, unknown>> = {
  401: UNAUTHENTICATED,
  402: {
    title: 'Insufficient credit',
    detail:
      'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.',
    status: 402
  },
  429: { detail: 'Request was throttled. Your rate limit resets in ~30s.', status: 429 },
  500: { title: 'Internal Server Error', detail: 'Something went wrong on our end.', status: 500 },
  503: { title: 'Service Unavailable', detail: 'Replicate is temporarily unavailable.', status: 503 }
}
const TOO_LARGE = { title: 'Request Entity Too Large', detail: 'The file is too large.', status: 413 }

/** A refusal that created nothing: the body Replicate sends for that status (the gateway's page for 502). */
function statusReply(status: number, retryAfterSeconds: number | undefined): FakeReply {
  if (status === 502) return { kind: 'raw', status: 502, contentType: 'text/html', body: BAD_GATEWAY_PAGE }
  const retryAfter = status === 429 || status === 503 ? (retryAfterSeconds ?? 30) : retryAfterSeconds
  const body = STATUS_BODIES[status] ?? (status === 413 ? TOO_LARGE : { detail: `HTTP ${status}`, status })
  return jsonReply(status, body, retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) })
}
const BAD_GATEWAY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>'
const CUT_OFF_PREDICTION = '{"id":"'

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
function predictionId(): string {
  return Array.from(randomBytes(26), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('')
}

class FakeReplicateServer implements FakeReplicate {
  url = ''
  readonly token: string
  private latencyMs: number
  private readonly startingMs: number
  private readonly created: CreatedPrediction[] = []
  private readonly cancelCalls: string[] = []
  private readonly recorded: RecordedRequest[] = []
  private readonly faults = new FaultQueue<ReplicateFault>()
  private readonly uploadFaults = new FaultQueue<ReplicateUploadFault>()
  private readonly uploadList: UploadedFile[] = []
  private readonly deletedList: string[] = []
  private readonly store = new Map<string, StoredPrediction>()
  private readonly files = new Map<string, StoredFile>()
  private readonly closing = new AbortController()
  private closed: Promise<void> | undefined
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent || this.closing.signal.aborted) {
        response.destroy()
        return
      }
      sendReply(
        response,
        jsonReply(500, { detail: `fake crashed: ${error instanceof Error ? error.message : String(error)}`, status: 500 })
      )
    })
  })

  constructor(options: FakeReplicateOptions) {
    this.token = options.token ?? `r8_${randomBytes(18).toString('hex')}`
    this.latencyMs = options.latencyMs ?? DEFAULT_LATENCY_MS
    this.startingMs = options.startingMs ?? 0
  }

  get predictions(): ReadonlyArray<CreatedPrediction> {
    return this.created
  }

  get cancels(): ReadonlyArray<string> {
    return this.cancelCalls
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded
  }

  submissions(): number {
    return this.created.length
  }

  async statusOf(id: string): Promise<PredictionStatus | undefined> {
    const stored = this.store.get(id)
    return stored === undefined ? undefined : (await this.stateAsync(stored)).status
  }

  failNext(fault: ReplicateFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  failNextUpload(fault: ReplicateUploadFault, times = 1): void {
    this.uploadFaults.failNext(fault, times)
  }

  get uploads(): ReadonlyArray<UploadedFile> {
    return this.uploadList
  }

  get deletedFiles(): ReadonlyArray<string> {
    return this.deletedList
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
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    const body = parseJsonBody(raw)
    this.recorded.push({ method: request.method ?? '', path, headers: copyHeaders(request), body: body.ok ? body.value : null })
    let reply: FakeReply
    try {
      reply = await this.route(request, path, body, raw)
    } catch (error) {
      if (!(error instanceof Rejection)) throw error
      reply = jsonReply(error.status, error.body)
    }
    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  private async route(request: IncomingMessage, path: string, body: ParsedJsonBody, raw: Buffer): Promise<FakeReply> {
    const method = request.method ?? ''
    const file = /^\/delivery\/([0-9a-z]{26})\/output\.(png|jpg|webp)$/.exec(path)
    if (file !== null) return method === 'GET' ? this.serveFile(path) : jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    if (!path.startsWith('/v1/')) return jsonReply(404, NOT_FOUND)
    // Authorization: Bearer <token>, on every API route (the client's index.js `request`).
    if (request.headers.authorization !== `Bearer ${this.token}`) return jsonReply(401, UNAUTHENTICATED)

    const create = /^\/v1\/models\/([^/]+\/[^/]+)\/predictions$/.exec(path)
    const get = /^\/v1\/predictions\/([^/]+)$/.exec(path)
    const cancel = /^\/v1\/predictions\/([^/]+)\/cancel$/.exec(path)
    if (path === '/v1/files')
      return method === 'POST' ? await this.createFile(request, raw) : jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    const fileGet = /^\/v1\/files\/([^/]+)$/.exec(path)
    if (fileGet !== null) {
      if (method === 'GET') return this.getFile(fileGet[1] ?? '')
      if (method === 'DELETE') return this.deleteFile(fileGet[1] ?? '')
      return jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    }
    if (create !== null)
      return method === 'POST'
        ? await this.createPrediction(request, create[1] ?? '', body)
        : jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    if (get !== null)
      return method === 'GET' ? await this.getPrediction(get[1] ?? '') : jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    if (cancel !== null)
      return method === 'POST'
        ? await this.cancelPrediction(cancel[1] ?? '')
        : jsonReply(405, { detail: 'Method not allowed.', status: 405 })
    return jsonReply(404, NOT_FOUND)
  }

  /** Validate, apply a queued fault, create, hold per `Prefer: wait`, answer 201. */
  private async createPrediction(request: IncomingMessage, model: string, body: ParsedJsonBody): Promise<FakeReply> {
    const spec = MODELS[model]
    if (spec === undefined)
      return jsonReply(404, {
        title: 'Model not found',
        detail: `The model ${model} does not exist, or you do not have access to it.`,
        status: 404
      })
    if (!hasJsonContentType(request)) {
      throw new Rejection(400, {
        title: 'Bad request',
        detail: 'Content-Type must be application/json (a check of this fake).',
        status: 400
      })
    }
    const waitSeconds = parsePreferWait(request.headers.prefer)
    if (!body.ok) throw new Rejection(400, { title: 'Bad request', detail: 'The request body is not valid JSON.', status: 400 })
    const envelope = CreateBody.safeParse(body.value)
    if (!envelope.success) {
      throw validationFailed(
        envelope.error.issues.map((issue) => ({
          type: issue.code,
          field: issue.path.map(String).join('.') || '(root)',
          description: `${issue.message} (this fake takes only {"input":{…}}; it cannot deliver webhooks)`
        }))
      )
    }
    const parsed = spec.schema.safeParse(envelope.data.input, { reportInput: true })
    if (!parsed.success) throw validationFailed(parsed.error.issues.flatMap(describeIssue))
    const input = parsed.data
    const readUpload: ReadUpload = (url) => this.readUpload(url)
    const images = spec.imageFields.flatMap((field) => {
      const value = input[field]
      if (typeof value === 'string') return [readImage(field, value, readUpload)]
      return Array.isArray(value) ? value.map((item, index) => readImage(`${field}.${index}`, String(item), readUpload)) : []
    })
    const safety = input.safety_tolerance
    if (spec.safetyCapWithImage !== undefined && images.length > 0 && typeof safety === 'number' && safety > spec.safetyCapWithImage) {
      throw validationFailed([
        {
          type: 'number_lte',
          field: 'input.safety_tolerance',
          description: `safety_tolerance must be at most ${spec.safetyCapWithImage} when an input image is used`
        }
      ])
    }

    const fault = this.faults.take()
    switch (fault?.kind) {
      case 'status':
        return statusReply(fault.status, fault.retryAfterSeconds)
      case 'reset':
        return { kind: 'destroy' }
      case 'hang':
        return { kind: 'hang' }
      default:
        break
    }

    const stored = this.store_(model, envelope.data.input, input, spec.sizeOf(input, images[0]), spec.listOutput === true, fault)
    this.created.push({ id: stored.id, model, body: body.value as Record<string, unknown>, headers: copyHeaders(request) })
    if (waitSeconds !== undefined) {
      const until = Math.min(stored.createdAt + stored.latencyMs, stored.createdAt + waitSeconds * 1000)
      // A timer may fire a millisecond before the wall clock reaches its end (Node rounds both), and
      // the prediction's state is read from the wall clock: wait until it has truly passed.
      while (Date.now() < until) if (!(await waitUnlessClosedAsync(until - Date.now(), this.closing.signal))) return { kind: 'hang' }
    }
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 201, contentType: 'application/json', body: CUT_OFF_PREDICTION }
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    return jsonReply(201, await this.view(stored))
  }

  private store_(
    model: string,
    rawInput: Record<string, unknown>,
    input: Record<string, unknown>,
    size: Dimensions,
    listOutput: boolean,
    fault: ReplicateFault | undefined
  ): StoredPrediction {
    const pollFaults: StoredPrediction['pollFaults'] = []
    if (fault?.kind === 'poll-status') for (let i = 0; i < (fault.times ?? 1); i += 1) pollFaults.push(fault.status)
    if (fault?.kind === 'poll-malformed') for (let i = 0; i < (fault.times ?? 1); i += 1) pollFaults.push('malformed')
    const stored: StoredPrediction = {
      id: predictionId(),
      model,
      input: rawInput,
      createdAt: Date.now(),
      startingMs: this.startingMs,
      latencyMs: this.latencyMs,
      seed: typeof input.seed === 'number' ? input.seed : randomInt(2 ** 32),
      size,
      listOutput,
      format: input.output_format as FileFormat,
      quality: typeof input.output_quality === 'number' ? input.output_quality : 90,
      fault,
      pollFaults,
      outcome: undefined,
      finishing: undefined
    }
    this.store.set(stored.id, stored)
    return stored
  }

  private async getPrediction(id: string): Promise<FakeReply> {
    const stored = this.store.get(id)
    if (stored === undefined) return jsonReply(404, NOT_FOUND)
    const fault = stored.pollFaults.shift()
    if (fault === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: CUT_OFF_PREDICTION }
    if (fault !== undefined) return jsonReply(fault, STATUS_BODIES[fault], fault === 429 ? { 'retry-after': '0' } : undefined)
    return jsonReply(200, await this.view(stored))
  }

  /** `POST urls.cancel`; a prediction that has not ended becomes `canceled` (the client's `lib/predictions.js`). */
  private async cancelPrediction(id: string): Promise<FakeReply> {
    const stored = this.store.get(id)
    if (stored === undefined) return jsonReply(404, NOT_FOUND)
    this.cancelCalls.push(id)
    const state = await this.stateAsync(stored)
    if (state.status === 'starting' || state.status === 'processing') {
      stored.outcome = { status: 'canceled', output: null, error: null, completedAt: Date.now() }
    }
    return jsonReply(200, await this.view(stored))
  }

  /** The client's `lib/files.js` `createFile`: multipart `content` (the file) and `metadata` (JSON). */
  private async createFile(request: IncomingMessage, raw: Buffer): Promise<FakeReply> {
    const bad = (detail: string): FakeReply => jsonReply(400, { title: 'Bad request', detail, status: 400 })
    const contentType = request.headers['content-type'] ?? ''
    if (!/^multipart\/form-data;\s*boundary=/i.test(contentType)) return bad('The request must be multipart/form-data with a boundary.')
    let form: FormData
    try {
      form = await new Request('http://fake/v1/files', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(raw)
      }).formData()
    } catch {
      return bad('The multipart body cannot be read.')
    }
    const content = form.get('content')
    if (!(content instanceof Blob)) return bad('The file goes in a multipart part named "content".')
    const metadataPart = form.get('metadata')
    let metadata: unknown = {}
    if (metadataPart !== null) {
      try {
        metadata = JSON.parse(typeof metadataPart === 'string' ? metadataPart : await metadataPart.text()) as unknown
      } catch {
        return bad('metadata must be JSON.')
      }
      if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return bad('metadata must be a JSON object.')
    }
    const fault = this.uploadFaults.take()
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    if (fault?.kind === 'status') return statusReply(fault.status, fault.retryAfterSeconds)
    const bytes = new Uint8Array(await content.arrayBuffer())
    const id = Buffer.from(randomBytes(24)).toString('base64url')
    const name = content instanceof File && content.name !== '' ? content.name : `blob_${Date.now()}`
    const file: UploadedFile = {
      id,
      url: `${this.url}/v1/files/${id}`,
      name,
      contentType: content.type === '' ? 'application/octet-stream' : content.type,
      metadata,
      bytes
    }
    this.uploadList.push(file)
    return jsonReply(201, this.fileObject(file))
  }

  private getFile(id: string): FakeReply {
    const file = this.liveFile(id)
    return file === undefined ? jsonReply(404, NOT_FOUND) : jsonReply(200, this.fileObject(file))
  }

  private deleteFile(id: string): FakeReply {
    if (this.liveFile(id) === undefined) return jsonReply(404, NOT_FOUND)
    this.deletedList.push(id)
    return { kind: 'raw', status: 204, contentType: 'application/json', body: '' }
  }

  /** An uploaded file not deleted since. */
  private liveFile(id: string): UploadedFile | undefined {
    return this.deletedList.includes(id) ? undefined : this.uploadList.find((candidate) => candidate.id === id)
  }

  /** `FileObject` (the client's `index.d.ts`; README "replicate.files.create": files expire after 24 hours). */
  private fileObject(file: UploadedFile): Record<string, unknown> {
    const created = Date.now()
    return {
      id: file.id,
      name: file.name,
      content_type: file.contentType,
      size: file.bytes.byteLength,
      etag: createHash('md5').update(file.bytes).digest('hex'),
      checksums: { sha256: createHash('sha256').update(file.bytes).digest('hex'), md5: createHash('md5').update(file.bytes).digest('hex') },
      metadata: file.metadata,
      created_at: new Date(created).toISOString(),
      expires_at: new Date(created + 24 * 3600 * 1000).toISOString(),
      urls: { get: file.url }
    }
  }

  private readUpload(url: string): Uint8Array | null | undefined {
    const match = /^\/v1\/files\/([^/?#]+)$/.exec(url.startsWith(this.url) ? url.slice(this.url.length) : '')
    if (match === null) return undefined
    return this.liveFile(match[1] ?? '')?.bytes ?? null
  }

  private serveFile(path: string): FakeReply {
    const file = this.files.get(path)
    if (file === undefined || file.expired) return { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    return {
      kind: 'raw',
      status: 200,
      contentType: file.contentType,
      body: file.truncated ? file.bytes.subarray(0, Math.floor(file.bytes.byteLength / 2)) : file.bytes
    }
  }

  /** The status now: from the clock until the prediction ends, then fixed. */
  private async stateAsync(stored: StoredPrediction): Promise<{ status: PredictionStatus; outcome: Outcome | undefined }> {
    if (stored.outcome !== undefined) return { status: stored.outcome.status, outcome: stored.outcome }
    const elapsed = Date.now() - stored.createdAt
    if (elapsed < stored.latencyMs) return { status: elapsed < stored.startingMs ? 'starting' : 'processing', outcome: undefined }
    stored.finishing ??= this.finishAsync(stored)
    const outcome = await stored.finishing
    stored.outcome ??= outcome
    return { status: stored.outcome.status, outcome: stored.outcome }
  }

  private async finishAsync(stored: StoredPrediction): Promise<Outcome> {
    const completedAt = stored.createdAt + stored.latencyMs
    switch (stored.fault?.kind) {
      case 'moderation':
        return { status: 'failed', output: null, error: MODERATION_ERROR, completedAt }
      case 'model-error':
        return { status: 'failed', output: null, error: stored.fault.message ?? 'Prediction failed: CUDA out of memory.', completedAt }
      case 'aborted':
        return { status: 'aborted', output: null, error: null, completedAt }
      case 'no-output':
        return { status: 'succeeded', output: null, error: null, completedAt }
      default:
        break
    }
    const bytes = await renderAsync(stored.format, stored.size, stored.seed, stored.quality)
    const path = `/delivery/${stored.id}/output.${stored.format}`
    this.files.set(path, {
      bytes,
      contentType: MIME[stored.format],
      expired: stored.fault?.kind === 'expired-output',
      truncated: stored.fault?.kind === 'truncated-image'
    })
    const url = `${this.url}${path}`
    return { status: 'succeeded', output: stored.listOutput ? [url] : url, error: null, completedAt }
  }

  /** The prediction object (the client's `index.d.ts`, `Prediction`). */
  private async view(stored: StoredPrediction): Promise<Record<string, unknown>> {
    const { status, outcome } = await this.stateAsync(stored)
    const started = status !== 'starting' && status !== 'aborted'
    const iso = (ms: number): string => new Date(ms).toISOString()
    return {
      id: stored.id,
      model: stored.model,
      version: 'hidden',
      input: stored.input,
      logs: started ? `Using seed: ${stored.seed}\n` : '',
      output: outcome?.output ?? null,
      error: outcome?.error ?? null,
      status,
      data_removed: false,
      created_at: iso(stored.createdAt),
      started_at: started ? iso(stored.createdAt + stored.startingMs) : null,
      completed_at: outcome === undefined ? null : iso(outcome.completedAt),
      metrics: outcome?.status === 'succeeded' ? { predict_time: stored.latencyMs / 1000, total_time: stored.latencyMs / 1000 } : {},
      urls: {
        get: `${this.url}/v1/predictions/${stored.id}`,
        cancel: `${this.url}/v1/predictions/${stored.id}/cancel`,
        web: `https://replicate.com/p/${stored.id}`
      }
    }
  }
}

/** `Prefer: wait` (60 s) or `Prefer: wait=N`, N from 1 to 60; undefined when absent. */
function parsePreferWait(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined
  const header = Array.isArray(value) ? value.join(', ') : value
  const match = /(?:^|[\s,;])wait(?:\s*=\s*([^\s,;]*))?(?:$|[\s,;])/i.exec(header)
  if (match === null) return undefined
  if (match[1] === undefined) return 60
  const seconds = Number(match[1])
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    throw new Rejection(400, { title: 'Bad request', detail: 'Prefer: wait=N takes N from 1 to 60.', status: 400 })
  }
  return seconds
}
