/**
 * A strict fake of Runware's REST API (`POST /v1`), limited to what the relay uses: `imageInference`
 * with FLUX.1 Kontext [max] (`bfl:4@1`), [pro] (`bfl:3@1`) and [dev] (`runware:106@1`), FLUX.2
 * [pro] (`bfl:5@1`), [flex] (`bfl:6@1`) and [max] (`bfl:7@1`), and FLUX.2 [klein] 4B
 * (`runware:400@4`) and 9B (`runware:400@2`), sync and async delivery, and `getResponse`. It follows docs/hosts.md, "Runware" field for field and
 * rejects what the real API rejects, so a relay bug (a wrong key, a field a model does not take, a
 * third reference image) fails a test instead of reaching production. Where the fake cannot
 * honestly do what the real API does (fetching URLs, delivering webhooks) it answers 400
 * `fakeUnsupported` rather than pretending. Results are real PNG, JPEG or WebP bytes at the
 * requested size.
 *
 * The source each behaviour follows:
 * - Auth (Bearer header, or an `authentication` task first) and the array body: runware.ai/docs
 *   platform/authentication; Runware/runware-typescript `src/transport/rest.ts`.
 * - Task fields, model ids, sizes, prices: runware.ai/docs models/bfl-flux-1-kontext-{max,pro,dev};
 *   dev's fields from Runware/runware-typescript `src/types/task-map.ts`.
 * - FLUX.2: model ids from `src/types/task-map.ts`; field names from Runware/sdk-python
 *   `runware/types.py` (`IImageInference` width/height/steps/CFGScale/providerSettings, `IInputs`
 *   referenceImages, `IBlackForestLabsProviderSettings` "bfl" safetyTolerance) and
 *   runware.ai/docs/en/providers/bfl (providerSettings.bfl.promptUpsampling); which model takes
 *   which field, and the ranges, from Runware's per-model schema.json (see `flux2Shape` below).
 *   Results come back as Kontext's do: the same `data` items (runware.ai/docs/models/bfl-flux-2-*).
 * - FLUX.2 [klein]: model ids from `src/types/task-map.ts` (whose result type for them is the same
 *   `ImageInferenceResult`); its own fields and ranges from Runware's per-model schema.json, read
 *   through the same copy (see `KleinTask` below).
 * - Result items (`imageBase64Data` / `imageDataURI` / `imageURL`, `seed`, `cost`, `NSFWContent`):
 *   runware.ai/docs models pages; @runware/sdk-js `IImage`.
 * - Async delivery and `getResponse` (full state per poll, `processing` / `success` / `error` per
 *   result): runware.ai/docs platform/task-polling.
 * - Error bodies `{"errors":[{code, message, parameter, taskType, taskUUID}]}` and HTTP statuses:
 *   runware.ai/docs platform/errors; codes as Runware/runware-typescript `src/errors.ts` classifies
 *   them.
 * - A reused taskUUID: answered `conflictTaskUUID` (status 400, as a validation error, which is
 *   how `src/errors.ts` files every `conflict*` code), nothing billed, the first task untouched.
 *   Runware/sdk-python `runware/base.py` (`_retry_with_reconnect`) reads exactly that code and the
 *   item's `taskUUID`, and on a retry follows the task with `getResponse`. Runware's docs do not
 *   give the message or the status; the relay must not depend on either.
 * - `getResponse` for a task the fake has answers at once, whatever the task's delivery method:
 *   polling a known UUID is normal use, never counted as reuse (the Python SDK polls a sync task
 *   this way after a conflict).
 *
 * Contract choices that the sources leave open:
 * - One task per request (plus the optional leading `authentication` element). The relay sends one
 *   task per call; several tasks would need per-task statuses the docs do not describe, so more
 *   than one answers 400 `fakeUnsupported`.
 * - A queued fault is consumed only by an imageInference that passes validation, so an invalid
 *   request still gets its 400 (the fault models what the host does to a request it would take).
 * - Faults that accept the task (`nsfw`, `lose-response`, `reset-after-accept`, `truncated-image`,
 *   `task-error`, `result-url`) still go through the taskUUID check; a reused UUID is answered
 *   `conflictTaskUUID` and the fault is used up.
 * - Each model bills its documented price per result (max 0.08, pro 0.04, dev 0.0105; FLUX.2 its
 *   1 MP figure, [klein] the figure third parties quote, see `MODEL_SPECS`) unless `costPerImage`
 *   says otherwise.
 * - Per model: pro/max take `providerSettings.bfl` and no `steps`, `CFGScale` or `negativePrompt`
 *   (unknownParameter); dev takes `steps` (int 1–50), `CFGScale` (0–50) and `negativePrompt` but no
 *   `providerSettings` (unknownParameter: it has no BFL provider). The ranges are the fake's
 *   reading; the docs give none for dev. pro/max accept the nine Kontext sizes, dev the 17 of
 *   `KONTEXT_DEV_SIZES`. FLUX.2 takes any width × height on its grid, and must be sent it.
 * - Poll faults (`failNextPoll`) are used only by well-formed getResponse polls and never change
 *   the task. `not-found` answers taskFailedOrNotFound for a task the fake has: the docs promise no
 *   moment from which a new task is visible to polling (task-polling speaks of "active
 *   operations"), so a relay must survive a poll that does not see it yet. A `task-error` task
 *   counts as accepted (the host took it) but reports no cost.
 * - The results of one task finish one after another over the latency (result i of n is ready at
 *   (i+1)/n of it), so getResponse shows partial progress; a sync answer waits for the last one.
 *
 * A test hook, not a Runware behaviour:
 * - `answerFor`: a test that needs the answer to depend on the reference (the region-edit browser
 *   test makes "the model's" answer from the crop it sent: text changed, colours shifted, moved a
 *   pixel) passes a function from the reference bytes to the result's PNG bytes. It is used for
 *   PNG output only and must return a PNG at the output size (checked; a wrong size fails the task
 *   with a 500, never a silent mismatch). Without it the results are the fake's own images.
 */
import { randomInt, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { imageSize } from 'image-size'
import * as z from 'zod'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES, type KontextSizeSpec } from '../../shared/aspect-ratios'
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
  waitUnlessClosedAsync,
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
 * The imageInference faults: the common ones (test/fakes/host-fault.ts), each as Runware's wire
 * shows it, and Runware's own. Every fault is used by one valid imageInference, in order.
 *
 * Common kinds on this host:
 * - `status`: answered with that HTTP status and `{"errors":[{code, message, taskType, taskUUID}]}`
 *   WITHOUT accepting the task (not billed); `Retry-After` when `retryAfterSeconds` is given. The
 *   code defaults to the one Runware/runware-typescript `src/errors.ts` files under that status
 *   (402 insufficientCredits, 429 rateLimitExceeded, 500 internalServerError, 502 badGateway,
 *   503 serviceUnavailable, else `simulated<status>`); runware.ai/docs platform/errors.
 * - `reset`: the socket is destroyed before the task is accepted (not billed; getResponse does not know it).
 * - `hang`: never answered until the fake closes; not accepted.
 * - `reset-after-accept`: the task is accepted, billed and generated, then the socket is destroyed
 *   without an answer (a sync or async submit alike); getResponse knows the task.
 * - `malformed`: 200 with a body cut off mid-JSON, the task NOT accepted (not billed), so a
 *   getResponse after it answers taskFailedOrNotFound and a resubmit is safe.
 * - `truncated-image`: accepted and billed; the result bytes (base64 or URL) are cut in half.
 *   (Was `truncated`.)
 */
export type RunwareFault =
  | HostFault
  /** A `status` fault with Runware's own error code in the body instead of the status's default. */
  | { kind: 'status'; status: number; code: string; retryAfterSeconds?: number }
  /** Accepts, bills and generates the task, then answers 504 with a non-JSON gateway page (as a proxy timing out would). */
  | { kind: 'lose-response' }
  /** 400 with errors[].code 'contentPolicyViolation' (not billed). */
  | { kind: 'moderation' }
  /** Accepted and billed; these results (default all) carry NSFWContent: true. */
  | { kind: 'nsfw'; results?: number[] }
  /** Accepted; these results (default all) end with status 'error' (default code inferenceError), not billed; a sync answer is the errors body (400 for a safety code, else 500). */
  | { kind: 'task-error'; code?: string; results?: number[] }
  /** Accepted and billed; results carry imageURL instead of the requested base64 (a host ignoring outputType); expired: the URL already answers 404. */
  | { kind: 'result-url'; expired?: boolean }

/** Faults for getResponse polls; each is used by one valid poll, in order. None changes the task. */
export type RunwarePollFault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503; code?: string } // a JSON error answer
  | { kind: 'malformed' } // 200 with a body that is not JSON
  | { kind: 'reset' } // destroys the socket without answering
  | { kind: 'not-found' } // taskFailedOrNotFound even for a task the fake has: a task not yet visible to polling

/** What `answerFor` is given: the task's reference images as sent (decoded bytes), the output size and the result's seed. */
export interface RunwareAnswerInput {
  references: ReadonlyArray<Uint8Array>
  width: number
  height: number
  seed: number
  /** 0-based, within the task. */
  index: number
}

export interface FakeRunwareOptions {
  apiKey: string
  /** A test hook (see the header): the PNG bytes of each result, made from the references. */
  answerFor?: (input: RunwareAnswerInput) => Uint8Array | Promise<Uint8Array>
  /** how long an accepted task takes: the wait before a sync answer, or the `processing` time of an async one (default 0) */
  latencyMs?: number
  /** USD reported as `cost` per result when the task sets includeCost (default: the model's price) */
  costPerImage?: number
}

export interface AcceptedTask {
  taskUUID: string
  task: Record<string, unknown>
  at: number
}

export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
}

export interface FakeRunware {
  /** e.g. http://127.0.0.1:PORT/v1 (the value for RUNWARE_API_URL) */
  url: string
  apiKey: string
  /** accepted (billed) imageInference tasks, in order */
  readonly accepted: ReadonlyArray<AcceptedTask>
  /**
   * imageInference submissions whose taskUUID the fake already had: each was answered
   * `conflictTaskUUID` and not billed. A relay that resubmits a task it knows was accepted makes
   * this grow; one that resubmits only after Runware said "not found" rarely does.
   */
  readonly duplicateSubmissions: number
  /** every HTTP request received: method, path, parsed JSON body (or null), and a copy of headers */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** queue a fault for the next imageInference submission(s); each queued fault is used once, in order */
  failNext(fault: RunwareFault, times?: number): void
  /** queue a fault for the next getResponse poll(s) */
  failNextPoll(fault: RunwarePollFault, times?: number): void
  /**
   * Change the latency for later imageInference submissions: how long a sync answer takes and how
   * long an async task reports `processing` to getResponse. getResponse itself answers at once.
   */
  setLatency(ms: number): void
  close(): Promise<void>
}

export async function startFakeRunwareAsync(options: FakeRunwareOptions): Promise<FakeRunware> {
  const fake = new FakeRunwareServer(options)
  await fake.listen()
  return fake
}

/** The uniform handle for the cross-host tests; `duplicates` counts resubmitted taskUUIDs (answered conflictTaskUUID). */
export async function startRunwareForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeRunwareAsync({
    apiKey: `rw-e2e-${randomUUID()}`,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs })
  })
  return {
    env: { RUNWARE_API_KEY: fake.apiKey, RUNWARE_API_URL: fake.url },
    submissions: () => fake.accepted.length,
    duplicates: () => fake.duplicateSubmissions,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Contract (docs/hosts.md, "Runware")
// ---------------------------------------------------------------------------------------------

/** Kontext [max] is `bfl:4@1`, [pro] is `bfl:3@1`, [dev] is `runware:106@1`. */
const KONTEXT_MODEL_IDS = ['bfl:4@1', 'bfl:3@1', 'runware:106@1'] as const
/** FLUX.2 [pro] is `bfl:5@1`, [flex] `bfl:6@1`, [max] `bfl:7@1` (Runware/runware-typescript `src/types/task-map.ts`). */
const FLUX2_MODEL_IDS = ['bfl:5@1', 'bfl:6@1', 'bfl:7@1'] as const
/** FLUX.2 [klein] 4B is `runware:400@4`, 9B `runware:400@2` (the same file; @3 and @5 are the undistilled bases). */
const KLEIN_MODEL_IDS = ['runware:400@4', 'runware:400@2'] as const
const MODEL_IDS = [...KONTEXT_MODEL_IDS, ...FLUX2_MODEL_IDS, ...KLEIN_MODEL_IDS] as const
type ModelId = (typeof MODEL_IDS)[number]
/** "Up to 2 reference images" for Kontext pro/max (a third-party live test); the fake holds dev to the same. */
const KONTEXT_MAX_REFERENCE_IMAGES = 2
const MAX_NUMBER_RESULTS = 4
const DEFAULT_OUTPUT_QUALITY = 95
const SEED_RANGE = 2 ** 32

const HttpsUrl = z.url({ protocol: /^https?$/ })

/** `providerSettings.bfl` is flat; a live test saw these four keys allowed for Kontext, anything else → invalidProviderSettings. */
const ProviderSettings = z.strictObject({
  bfl: z
    .strictObject({
      promptUpsampling: z.boolean().optional(),
      safetyTolerance: z.int().min(0).max(6).optional(),
      raw: z.boolean().optional(),
      interval: z.number().optional()
    })
    .optional()
})

/** The limits that differ between models in the fields every model takes. */
interface TaskLimits {
  references: number
  numberResults: number
}

/**
 * The `imageInference` fields every model takes (docs/hosts.md, "Runware"). Strict, because Runware answers
 * unknown keys with `unknownParameter`. Cross-field rules and image decoding happen after this.
 */
function commonTaskShape(limits: TaskLimits) {
  return {
    taskType: z.literal('imageInference'),
    taskUUID: z.uuidv4(),
    model: z.enum(MODEL_IDS),
    positivePrompt: z.string().min(2).max(3000),
    inputs: z.strictObject({
      referenceImages: z.array(z.string()).min(1).max(limits.references)
    }),
    width: z.int().positive().optional(),
    height: z.int().positive().optional(),
    seed: z.int().nonnegative().optional(),
    numberResults: z.int().min(1).max(limits.numberResults).default(1),
    outputType: z.enum(['URL', 'base64Data', 'dataURI']).default('URL'),
    outputFormat: z.enum(['JPG', 'PNG', 'WEBP']).default('JPG'),
    outputQuality: z.int().min(20).max(99).default(DEFAULT_OUTPUT_QUALITY),
    includeCost: z.boolean().default(false),
    deliveryMethod: z.enum(['sync', 'async']).default('sync'),
    ttl: z.int().positive().optional(),
    webhookURL: HttpsUrl.optional(),
    uploadEndpoint: HttpsUrl.optional()
  }
}

const KONTEXT_LIMITS: TaskLimits = { references: KONTEXT_MAX_REFERENCE_IMAGES, numberResults: MAX_NUMBER_RESULTS }

/** Kontext pro/max: BFL's provider settings, and no `steps`, `CFGScale` or `negativePrompt`. (A third-party registry's reading, consistent with BFL's schema.) */
const ProMaxTask = z.strictObject({ ...commonTaskShape(KONTEXT_LIMITS), providerSettings: ProviderSettings.optional() })

/** Kontext dev (Runware/runware-typescript `src/types/task-map.ts`): `steps`, `CFGScale`, `negativePrompt`; no BFL provider settings. */
const DevTask = z.strictObject({
  ...commonTaskShape(KONTEXT_LIMITS),
  steps: z.int().min(1).max(50).optional(),
  CFGScale: z.number().min(0).max(50).optional(),
  negativePrompt: z.string().min(2).max(3000).optional()
})

/**
 * FLUX.2 (docs/hosts.md, "Runware"): Runware's per-model schemas
 * (runware.ai/docs/models/bfl-flux-2-{pro,flex,max}/schema.json, read through a third party's
 * distilled copy, unorouter `src/lib/ai/image/runware-schemas.json`) give each model its own
 * fields, all strict:
 * - width and height 256–2048 on all three. BFL's FLUX.2 sizes are multiples of 16 (help.bfl.ai,
 *   "Aspect Ratios and Output Dimensions"); the fake holds Runware to that grid, which the copy
 *   cannot show (it keeps only ranges) and secondary sources give as Runware's own.
 * - `providerSettings.bfl.safetyTolerance` 0–5 (default 2) on all three, no `raw` or `interval`;
 *   `promptUpsampling` on [flex] and [max] only. So the `promptUpsampling` Kontext [pro] takes is
 *   invalidProviderSettings on FLUX.2 [pro].
 * - `steps` (integer 1–50) and `CFGScale` (1.5–5, default 2.5) on [flex] only; `negativePrompt`
 *   (Kontext [dev]'s) on none.
 * - `inputs.referenceImages` up to 9 on [pro], 10 on [flex] (runware.ai/docs/models/bfl-flux-2-flex
 *   says "up to ten"), 8 on [max].
 * - `numberResults`: the schemas list 1–20, but secondary sources read 1 only for [pro]/[max] (BFL's
 *   own API makes one image a request), and the relay asks for one a call (variantsPerCall 1): the
 *   fake takes the stricter reading, so a relay asking for more fails here first. [flex] keeps the
 *   fake's own cap of 4.
 */
const Flux2Tolerance = z.int().min(0).max(5).optional()
const Flux2Side = z.int().min(256).max(2048).multipleOf(16).optional()
const flux2Shape = <Bfl extends z.ZodRawShape>(limits: TaskLimits, bfl: Bfl) => ({
  ...commonTaskShape(limits),
  width: Flux2Side,
  height: Flux2Side,
  providerSettings: z.strictObject({ bfl: z.strictObject(bfl).optional() }).optional()
})
const Flux2ProTask = z.strictObject(flux2Shape({ references: 9, numberResults: 1 }, { safetyTolerance: Flux2Tolerance }))
const Flux2MaxTask = z.strictObject(
  flux2Shape({ references: 8, numberResults: 1 }, { promptUpsampling: z.boolean().optional(), safetyTolerance: Flux2Tolerance })
)
const Flux2FlexTask = z.strictObject({
  ...flux2Shape(
    { references: 10, numberResults: MAX_NUMBER_RESULTS },
    { promptUpsampling: z.boolean().optional(), safetyTolerance: Flux2Tolerance }
  ),
  steps: z.int().min(1).max(50).optional(),
  CFGScale: z.number().min(1.5).max(5).optional()
})

/**
 * FLUX.2 [klein] 4B and 9B: Runware runs the open weights itself, so their schema is Runware's own,
 * not BFL's (Runware's per-model schema.json for runware:400@4 and @2, read through the same copy;
 * the two are identical):
 * - no `providerSettings` at all (the copy lists no provider settings, as for Kontext [dev]), so FLUX.2
 *   [pro]'s `providerSettings.bfl.safetyTolerance` is unknownParameter here;
 * - width and height 128–2048, sent as a pair; the fake keeps BFL's ×16 grid (help.bfl.ai, as above);
 * - `steps` (integer 1–50, default 4: the distilled four steps) and `CFGScale` (1–20, default 3.5), and
 *   `negativePrompt` and `acceleration` (none / low / medium / high, default high);
 * - `inputs.referenceImages` up to 4 (BFL's [klein] limit as well); `numberResults` 1–20 in the copy,
 *   held to the fake's own cap of 4.
 * The schema also lists `scheduler`, `lora`, `acceleratorOptions`, `safety` and `advancedFeatures`: the
 * fake does not model them, and answers fakeUnsupported rather than a refusal Runware would not give.
 */
const KleinSide = z.int().min(128).max(2048).multipleOf(16).optional()
const KleinTask = z.strictObject({
  ...commonTaskShape({ references: 4, numberResults: MAX_NUMBER_RESULTS }),
  width: KleinSide,
  height: KleinSide,
  steps: z.int().min(1).max(50).optional(),
  CFGScale: z.number().min(1).max(20).optional(),
  negativePrompt: z.string().min(2).max(3000).optional(),
  acceleration: z.enum(['none', 'low', 'medium', 'high']).optional()
})
const KLEIN_UNMODELLED = ['scheduler', 'lora', 'acceleratorOptions', 'safety', 'advancedFeatures'] as const

type TaskSchema = typeof ProMaxTask | typeof DevTask | typeof Flux2ProTask | typeof Flux2MaxTask | typeof Flux2FlexTask | typeof KleinTask
type ImageInferenceTask = z.infer<TaskSchema>

/** The sizes a model answers at: a list (Kontext) or any pair on a ×16 grid between two sides (FLUX.2), always sent as a pair. */
type OutputRule = { kind: 'fixed'; sizes: readonly KontextSizeSpec[] } | { kind: 'grid'; minSide: number; maxSide: number }

interface ModelSpec {
  schema: TaskSchema
  output: OutputRule
  /** USD per result, from Runware's model pages */
  cost: number
  /** Fields the model's schema has that the fake does not model: answered fakeUnsupported. */
  unmodelled?: readonly string[]
}

const FLUX2_GRID: OutputRule = { kind: 'grid', minSide: 256, maxSide: 2048 }
const KLEIN_GRID: OutputRule = { kind: 'grid', minSide: 128, maxSide: 2048 }

/**
 * FLUX.2 is priced by the megapixel on Runware (inputs included on [max]); the fake bills each result
 * the model page's figure at about 1 MP ([pro] "1k: $0.03", [flex] 1024×1024 $0.06, [max] 1024×1024
 * $0.07: runware.ai/docs/models/bfl-flux-2-pro, -flex; runware.ai/models/flux2-max). The relay
 * reports whatever `cost` says, so a flat figure tests the same path. Runware's stored docs give no
 * price for the distilled [klein] pair; the fake bills what third parties quote for a 1 MP image
 * ($0.0006 for 4B, $0.00078 for 9B), far below the catalogue's estimate, as Runware's bill is.
 */
const MODEL_SPECS: Record<ModelId, ModelSpec> = {
  'bfl:4@1': { schema: ProMaxTask, output: { kind: 'fixed', sizes: KONTEXT_SIZES }, cost: 0.08 },
  'bfl:3@1': { schema: ProMaxTask, output: { kind: 'fixed', sizes: KONTEXT_SIZES }, cost: 0.04 },
  'runware:106@1': { schema: DevTask, output: { kind: 'fixed', sizes: KONTEXT_DEV_SIZES }, cost: 0.0105 },
  'bfl:5@1': { schema: Flux2ProTask, output: FLUX2_GRID, cost: 0.03 },
  'bfl:6@1': { schema: Flux2FlexTask, output: FLUX2_GRID, cost: 0.06 },
  'bfl:7@1': { schema: Flux2MaxTask, output: FLUX2_GRID, cost: 0.07 },
  'runware:400@4': { schema: KleinTask, output: KLEIN_GRID, cost: 0.0006, unmodelled: KLEIN_UNMODELLED },
  'runware:400@2': { schema: KleinTask, output: KLEIN_GRID, cost: 0.00078, unmodelled: KLEIN_UNMODELLED }
}

function modelSpec(model: unknown): ModelSpec {
  // An unknown model is checked against the Kontext pro/max schema, whose enum then names it.
  return (MODEL_IDS as readonly unknown[]).includes(model) ? MODEL_SPECS[model as ModelId] : MODEL_SPECS['bfl:4@1']
}

/** A poll carries only these two keys (runware.ai/docs platform/task-polling). */
const GetResponseTask = z.strictObject({
  taskType: z.literal('getResponse'),
  taskUUID: z.uuidv4()
})

/** The body-auth alternative, `{"taskType":"authentication","apiKey":"..."}` as the first element. */
const AuthenticationTask = z.strictObject({
  taskType: z.literal('authentication'),
  apiKey: z.string()
})

/** Default codes for status faults, chosen so Runware/runware-typescript `src/errors.ts` files them correctly. */
const STATUS_FAULT_CODES: Readonly<Record<number, string>> = {
  402: 'insufficientCredits',
  429: 'rateLimitExceeded',
  500: 'internalServerError',
  502: 'badGateway',
  503: 'serviceUnavailable'
}

/** The code a status fault answers with: its own, else the status's default. */
function statusFaultCode(fault: { status: number; code?: string }): string {
  return fault.code ?? STATUS_FAULT_CODES[fault.status] ?? `simulated${fault.status}`
}

/** The codes Runware/runware-typescript `src/errors.ts` files under safety; a sync answer with one of them is a 400. */
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

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** One item of `{"errors":[...]}` (runware.ai/docs platform/errors). */
interface RunwareErrorItem {
  code: string
  message: string
  parameter?: string | string[]
  taskType?: string
  taskUUID?: string
}

/** A rejection carrying the HTTP status and the Runware error item to answer with. */
class RunwareRejection extends Error {
  constructor(
    readonly status: number,
    readonly item: RunwareErrorItem
  ) {
    super(item.message)
  }
}

function reject(code: string, message: string, parameter?: string | string[]): RunwareRejection {
  return new RunwareRejection(400, parameter === undefined ? { code, message } : { code, message, parameter })
}

function fakeUnsupported(message: string, parameter?: string): RunwareRejection {
  return reject('fakeUnsupported', `${message} (a limit of this test fake, not of Runware)`, parameter)
}

function invalidApiKey(message: string): RunwareRejection {
  return new RunwareRejection(401, { code: 'invalidApiKey', message, parameter: 'apiKey', taskType: 'authentication' })
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

/** Turns the first zod issue into the error Runware would give for that field. */
function rejectionFromIssues(issues: ReadonlyArray<z.core.$ZodIssue>): RunwareRejection {
  // Unknown keys win: a misspelt field is the most useful thing to report.
  const unknownKeys = issues.find((issue) => issue.code === 'unrecognized_keys' && issue.path[0] !== 'providerSettings')
  const issue = unknownKeys ?? issues[0]
  if (issue === undefined) return reject('invalidRequestBody', 'Invalid task.')
  const path = issue.path.map(String)
  const [field = '', subfield, index] = path
  const detail = `Invalid value for '${path.join('.') || field}' parameter: ${issue.message}.`
  // Inside providerSettings even an unknown key is invalidProviderSettings.
  if (field === 'providerSettings') return reject('invalidProviderSettings', detail, 'providerSettings')
  if (issue.code === 'unrecognized_keys') {
    const parameter = [...path, issue.keys[0] ?? ''].join('.')
    return reject('unknownParameter', `Unsupported parameter '${parameter}' for this model.`, parameter)
  }
  if (field === 'inputs') return rejectionForInputsIssue(issue, subfield, index, detail)
  return reject(`invalid${capitalize(field)}`, detail, field)
}

function rejectionForInputsIssue(
  issue: z.core.$ZodIssue,
  subfield: string | undefined,
  index: string | undefined,
  detail: string
): RunwareRejection {
  const missing = issue.code === 'invalid_type' && issue.input === undefined
  if (subfield === undefined) {
    return missing
      ? reject('missingReferenceImages', 'Edits need inputs.referenceImages.', 'inputs.referenceImages')
      : reject('invalidInputs', detail, 'inputs')
  }
  if (index !== undefined) return reject('invalidReferenceImage', detail, `inputs.referenceImages.${index}`)
  if (missing || issue.code === 'too_small') {
    return reject('missingReferenceImages', 'Edits need at least one reference image.', 'inputs.referenceImages')
  }
  return reject('invalidReferenceImages', detail, 'inputs.referenceImages')
}

// ---------------------------------------------------------------------------------------------
// Task validation
// ---------------------------------------------------------------------------------------------

interface ImageDimensions {
  width: number
  height: number
}

interface StoredImage {
  imageUUID: string
  seed: number
  bytes: Uint8Array
  format: OutputImageFormat
  /** ms since epoch after which the image URL answers 404 (from `ttl`), or null for no expiry */
  expiresAt: number | null
}

type OutputImageFormat = 'PNG' | 'JPG' | 'WEBP'

interface ValidInference {
  task: ImageInferenceTask
  /** The reference images' bytes, in order (for `answerFor`). */
  references: ReadonlyArray<Uint8Array>
  output: ImageDimensions
  spec: ModelSpec
}

/** The model page's rules plus the fake's own limits; throws a RunwareRejection naming the field. */
function validateImageInference(raw: Record<string, unknown>, knownImages: ReadonlyMap<string, StoredImage>): ValidInference {
  // reportInput keeps `issue.input`, which tells a missing field from a wrong one.
  const spec = modelSpec(raw.model)
  const unmodelled = spec.unmodelled?.find((key) => key in raw)
  if (unmodelled !== undefined) throw fakeUnsupported(`${unmodelled}: this fake does not model it`, unmodelled)
  const parsed = spec.schema.safeParse(raw, { reportInput: true })
  if (!parsed.success) throw rejectionFromIssues(parsed.error.issues)
  const task = parsed.data
  const references = task.inputs.referenceImages.map((value, index) => decodeReferenceImage(value, index, knownImages))
  const output = outputDimensions(task, references, spec.output)
  if (task.webhookURL !== undefined) throw fakeUnsupported('webhookURL: this fake does not deliver webhooks', 'webhookURL')
  if (task.uploadEndpoint !== undefined) throw fakeUnsupported('uploadEndpoint: this fake does not upload results', 'uploadEndpoint')
  return { task, references: references.map((reference) => reference.bytes), output, spec }
}

/**
 * Width and height are always sent as a pair ("`width` and `height` must be used together": the
 * model pages). Kontext: one of the model's sizes (nine for pro/max, 17 for dev); without them the
 * output follows the first reference's aspect ratio (the fake's inference; not documented).
 * FLUX.2 and [klein]: any pair the schema took (its range and grid); without them the fake refuses,
 * where Runware's [max] schema defaults to 1024×1024: a relay that forgot the size fails here instead
 * of quietly getting a square.
 */
function outputDimensions(task: ImageInferenceTask, references: ReadonlyArray<ImageDimensions>, rule: OutputRule): ImageDimensions {
  const { width, height } = task
  if (width === undefined && height === undefined && rule.kind === 'fixed') {
    const first = references[0]
    if (first === undefined) throw reject('missingReferenceImages', 'Edits need a reference image.', 'inputs.referenceImages')
    return nearestSize(rule.sizes, first)
  }
  const allowed =
    rule.kind === 'fixed'
      ? `allowed pairs: ${rule.sizes.map((size) => `${size.width}x${size.height}`).join(', ')}`
      : `each a multiple of 16 from ${rule.minSide} to ${rule.maxSide}`
  if (width === undefined || height === undefined) {
    throw reject('unsupportedDimensions', `width and height must be sent together; ${allowed}.`, ['width', 'height'])
  }
  if (rule.kind === 'fixed' && !rule.sizes.some((size) => size.width === width && size.height === height)) {
    throw reject('unsupportedDimensions', `${width}x${height} is not supported by this model; ${allowed}.`, ['width', 'height'])
  }
  return { width, height }
}

/** Nearest allowed size by log aspect ratio (the fake's own reading of "follows the input"). */
function nearestSize(sizes: readonly KontextSizeSpec[], reference: ImageDimensions): ImageDimensions {
  const distance = (size: ImageDimensions): number =>
    Math.abs(Math.log(size.width / size.height) - Math.log(reference.width / reference.height))
  const [first, ...rest] = sizes
  if (first === undefined) throw new Error('a model without sizes')
  const best = rest.reduce<ImageDimensions>((chosen, size) => (distance(size) < distance(chosen) ? size : chosen), first)
  return { width: best.width, height: best.height }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MIME_BY_SNIFFED_TYPE = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const
type SniffedType = keyof typeof MIME_BY_SNIFFED_TYPE

/**
 * A reference is a Runware image UUID, an http(s) URL, a data URI or raw base64. The fake
 * knows only the UUIDs of images it generated itself, and never fetches URLs.
 */
function decodeReferenceImage(
  value: string,
  index: number,
  knownImages: ReadonlyMap<string, StoredImage>
): ImageDimensions & { bytes: Uint8Array } {
  const parameter = `inputs.referenceImages.${index}`
  const fail = (why: string): RunwareRejection => reject('invalidReferenceImage', `Reference image ${index}: ${why}.`, parameter)
  if (/^https?:\/\//i.test(value)) {
    throw fail('this fake does not fetch URLs; send a data URI or raw base64 (the real API would download it)')
  }
  let bytes: Uint8Array | null
  let declaredMime: string | null = null
  const dataUri = parseDataUri(value)
  const known = UUID.test(value) ? knownImages.get(value.toLowerCase()) : undefined
  if (dataUri !== null) {
    declaredMime = dataUri.mediaType.toLowerCase()
    if (declaredMime === 'image/jpg') declaredMime = 'image/jpeg'
    if (!Object.values<string>(MIME_BY_SNIFFED_TYPE).includes(declaredMime)) throw fail(`unsupported media type '${declaredMime}'`)
    bytes = decodeStrictBase64(dataUri.base64)
  } else if (known !== undefined) {
    bytes = known.bytes
  } else if (UUID.test(value)) {
    throw fail('unknown image UUID (this fake knows only the images it generated; it has no imageUpload)')
  } else {
    bytes = decodeStrictBase64(value)
  }
  if (bytes === null) throw fail('not valid base64')
  const type = sniffImageType(bytes)
  if (type === null) throw fail('not a PNG, JPEG or WEBP image')
  if (declaredMime !== null && declaredMime !== MIME_BY_SNIFFED_TYPE[type]) {
    throw fail(`the data URI says ${declaredMime} but the bytes are ${MIME_BY_SNIFFED_TYPE[type]}`)
  }
  return { ...measure(bytes, fail), bytes }
}

function sniffImageType(bytes: Uint8Array): SniffedType | null {
  const startsWith = (signature: ReadonlyArray<number>, offset = 0): boolean => signature.every((byte, i) => bytes[offset + i] === byte)
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (startsWith([0xff, 0xd8, 0xff])) return 'jpeg'
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return 'webp'
  return null
}

function measure(bytes: Uint8Array, fail: (why: string) => RunwareRejection): ImageDimensions {
  try {
    const { width, height } = imageSize(bytes)
    if (width > 0 && height > 0) return { width, height }
  } catch {
    // fall through: the header is there but the dimensions are not readable
  }
  throw fail('the image dimensions cannot be read')
}

// ---------------------------------------------------------------------------------------------
// Result images
// ---------------------------------------------------------------------------------------------

const generatedCache = new Map<string, Uint8Array>()
const GENERATED_CACHE_LIMIT = 32

/**
 * Real bytes at the output size. Cached: a 1 MP JPEG takes ~200 ms and tests reuse seeds. WebP
 * comes from libwebp at its own fixed quality (make-image.ts), so outputQuality shapes JPEG only.
 */
async function renderImageAsync(format: OutputImageFormat, size: ImageDimensions, seed: number, quality: number): Promise<Uint8Array> {
  const key = `${format}:${size.width}x${size.height}:${seed}:${quality}`
  const cached = generatedCache.get(key)
  if (cached !== undefined) return cached
  const bytes =
    format === 'PNG'
      ? makePng(size.width, size.height, seed)
      : format === 'JPG'
        ? makeJpeg(size.width, size.height, seed, quality)
        : await makeWebpAsync(size.width, size.height, seed)
  if (generatedCache.size >= GENERATED_CACHE_LIMIT) {
    const oldest = generatedCache.keys().next()
    if (oldest.done !== true) generatedCache.delete(oldest.value)
  }
  generatedCache.set(key, bytes)
  return bytes
}

const EXTENSION: Record<OutputImageFormat, string> = { PNG: 'png', JPG: 'jpg', WEBP: 'webp' }
const MIME: Record<OutputImageFormat, string> = { PNG: 'image/png', JPG: 'image/jpeg', WEBP: 'image/webp' }

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface StoredResult {
  image: StoredImage
  /** ms since epoch when getResponse first reports it finished */
  readyAt: number
  nsfw: boolean
  /** set when this result fails instead of finishing */
  error: RunwareErrorItem | null
}

interface StoredTask {
  taskUUID: string
  outputType: ImageInferenceTask['outputType']
  /** the `result-url` fault: answer with imageURL whatever outputType asked */
  forceUrl: boolean
  includeCost: boolean
  cost: number
  /** when the last result is ready (a sync answer waits for it) */
  readyAt: number
  results: StoredResult[]
}

const errorReply = (rejection: RunwareRejection): FakeReply => jsonReply(rejection.status, { errors: [rejection.item] })

/** An nginx-style gateway timeout page: what a client sees when a proxy gives up on the upstream. */
const GATEWAY_TIMEOUT_PAGE =
  '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n'
/** Cut off mid-way, so it is not JSON even though the header says it is. */
const MALFORMED_BODY = '{"data":[{"taskType":"imageInference","taskUUID":"'

class FakeRunwareServer implements FakeRunware {
  url = ''
  readonly apiKey: string
  private origin = ''
  private latencyMs: number
  private readonly costPerImage: number | undefined
  private readonly answerFor: FakeRunwareOptions['answerFor']
  private readonly acceptedTasks: AcceptedTask[] = []
  private readonly recorded: RecordedRequest[] = []
  private readonly faults = new FaultQueue<RunwareFault>()
  private readonly pollFaults = new FaultQueue<RunwarePollFault>()
  private readonly tasks = new Map<string, StoredTask>()
  private readonly rendering = new Set<string>()
  private readonly images = new Map<string, StoredImage>()
  private duplicates = 0
  private readonly closing = new AbortController()
  private closed: Promise<void> | null = null
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy()
        return
      }
      const message = error instanceof Error ? error.message : String(error)
      sendReply(response, jsonReply(500, { errors: [{ code: 'internalServerError', message: `fake crashed: ${message}` }] }))
    })
  })

  constructor(options: FakeRunwareOptions) {
    this.apiKey = options.apiKey
    this.latencyMs = options.latencyMs ?? 0
    this.costPerImage = options.costPerImage
    this.answerFor = options.answerFor
  }

  get accepted(): ReadonlyArray<AcceptedTask> {
    return this.acceptedTasks
  }

  get duplicateSubmissions(): number {
    return this.duplicates
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded
  }

  failNext(fault: RunwareFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  failNextPoll(fault: RunwarePollFault, times = 1): void {
    this.pollFaults.failNext(fault, times)
  }

  setLatency(ms: number): void {
    this.latencyMs = ms
  }

  async listen(): Promise<void> {
    this.origin = await listenOnLoopbackAsync(this.server)
    this.url = `${this.origin}/v1`
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

    const imageMatch = /^\/images\/([0-9a-f-]{36})\.(png|jpg|webp)$/.exec(path)
    let reply: FakeReply
    if (request.method === 'GET' && imageMatch !== null) reply = this.serveImage(imageMatch[1] ?? '', imageMatch[2] ?? '')
    else if (path !== '/v1' && path !== '/v1/') reply = jsonReply(404, { errors: [{ code: 'notFound', message: `No route ${path}.` }] })
    else if (request.method !== 'POST') reply = jsonReply(405, { errors: [{ code: 'methodNotAllowed', message: 'Use POST.' }] })
    else reply = await this.api(request, body)

    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  private serveImage(imageUUID: string, extension: string): FakeReply {
    const image = this.images.get(imageUUID)
    if (image === undefined || EXTENSION[image.format] !== extension || isExpired(image)) {
      return { kind: 'raw', status: 404, contentType: 'text/plain', body: 'Not Found' }
    }
    return { kind: 'raw', status: 200, contentType: MIME[image.format], body: image.bytes }
  }

  /** `POST /v1`: auth, then the array body, then the one task. */
  private async api(request: IncomingMessage, body: ParsedJsonBody): Promise<FakeReply> {
    try {
      const elements = this.authenticate(request.headers.authorization, body)
      if (!hasJsonContentType(request)) {
        throw reject('invalidContentType', "Content-Type must be 'application/json'.")
      }
      if (elements === null) throw reject('invalidRequestBody', 'The body must be a JSON array of task objects.')
      const task = singleTask(elements)
      if (task.taskType === 'imageInference') return await this.imageInference(task)
      if (task.taskType === 'getResponse') return this.getResponse(task)
      if (typeof task.taskType !== 'string') throw reject('invalidTaskType', 'Every task needs a string taskType.', 'taskType')
      throw fakeUnsupported(`taskType '${task.taskType}' is not implemented`, 'taskType')
    } catch (error) {
      if (error instanceof RunwareRejection) return errorReply(error)
      throw error
    }
  }

  /**
   * `Authorization: Bearer <key>`, or an `authentication` task as the first array element.
   * A wrong key in either place is 401. Returns the remaining elements (null when the body is not
   * an array), or throws.
   */
  private authenticate(header: string | undefined, body: ParsedJsonBody): unknown[] | null {
    const elements = body.ok && Array.isArray(body.value) ? [...body.value] : null
    let authenticated = false
    if (header !== undefined) {
      const bearer = /^Bearer (.+)$/.exec(header)
      if (bearer === null) throw invalidApiKey("Authorization header must be 'Bearer <apiKey>'.")
      if (bearer[1] !== this.apiKey) throw invalidApiKey('Invalid API key. Get one at https://my.runware.ai/signup')
      authenticated = true
    }
    const first: unknown = elements?.[0]
    if (isRecord(first) && first.taskType === 'authentication') {
      const auth = AuthenticationTask.safeParse(first)
      if (!auth.success) throw invalidApiKey('The authentication task needs exactly taskType and a string apiKey.')
      if (auth.data.apiKey !== this.apiKey) throw invalidApiKey('Invalid API key. Get one at https://my.runware.ai/signup')
      elements?.shift()
      authenticated = true
    }
    if (!authenticated) throw invalidApiKey('Missing API key: send Authorization: Bearer <apiKey>.')
    return elements
  }

  private async imageInference(raw: Record<string, unknown>): Promise<FakeReply> {
    const taskUUID = typeof raw.taskUUID === 'string' ? raw.taskUUID : undefined
    let valid: ValidInference
    try {
      valid = validateImageInference(raw, this.images)
    } catch (error) {
      if (error instanceof RunwareRejection) throw withTask(error, 'imageInference', taskUUID)
      throw error
    }
    const fault = this.faults.take()
    const unaccepted = this.unacceptedFaultReply(fault, valid.task.taskUUID)
    if (unaccepted !== null) return unaccepted

    if (this.tasks.has(valid.task.taskUUID) || this.rendering.has(valid.task.taskUUID)) {
      // Runware keeps the task it has and answers the reuse with conflictTaskUUID, unbilled
      // (Runware/sdk-python runware/base.py, _retry_with_reconnect: on a retry it polls the task).
      this.duplicates += 1
      throw withTask(
        reject('conflictTaskUUID', `Task ${valid.task.taskUUID} already exists. Use a unique taskUUID for each new task.`, 'taskUUID'),
        'imageInference',
        valid.task.taskUUID
      )
    }
    // Reserved while its images render, so a concurrent resubmission is caught as a duplicate too.
    this.rendering.add(valid.task.taskUUID)
    const stored = await this.acceptAsync(raw, valid, fault).finally(() => this.rendering.delete(valid.task.taskUUID))
    const ack = (): FakeReply => jsonReply(200, { data: [{ taskType: 'imageInference', taskUUID: stored.taskUUID }] })

    // An async submit is answered at once with an acknowledgement; the work goes on.
    if (valid.task.deliveryMethod === 'async') {
      if (fault?.kind === 'lose-response') return { kind: 'raw', status: 504, contentType: 'text/html', body: GATEWAY_TIMEOUT_PAGE }
      if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
      return ack()
    }
    if (!(await waitUnlessClosedAsync(stored.readyAt - Date.now(), this.closing.signal))) return { kind: 'hang' }
    if (fault?.kind === 'lose-response') return { kind: 'raw', status: 504, contentType: 'text/html', body: GATEWAY_TIMEOUT_PAGE }
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    const failure = stored.results.find((result) => result.error !== null)?.error
    if (failure !== undefined && failure !== null) {
      return jsonReply(SAFETY_CODES.has(failure.code) ? 400 : 500, { errors: [failure] })
    }
    return jsonReply(200, { data: stored.results.map((result) => this.resultItem(stored, result)) })
  }

  /** The faults that answer without accepting (and so without billing). */
  private unacceptedFaultReply(fault: RunwareFault | undefined, taskUUID: string): FakeReply | null {
    switch (fault?.kind) {
      case 'status': {
        const code = statusFaultCode(fault)
        const item: RunwareErrorItem = { code, message: `Simulated ${fault.status}.`, taskType: 'imageInference', taskUUID }
        const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) }
        return jsonReply(fault.status, { errors: [item] }, headers)
      }
      case 'reset':
        return { kind: 'destroy' }
      case 'moderation':
        return errorReply(
          withTask(reject('contentPolicyViolation', 'The request was blocked by the content policy.'), 'imageInference', taskUUID)
        )
      case 'hang':
        return { kind: 'hang' }
      case 'malformed':
        return { kind: 'raw', status: 200, contentType: 'application/json', body: MALFORMED_BODY }
      case undefined:
      case 'nsfw':
      case 'task-error':
      case 'result-url':
      case 'truncated-image':
      case 'lose-response':
      case 'reset-after-accept':
        return null
    }
  }

  /** Bills the task and generates its images now, so getResponse returns the same bytes every time. */
  private async acceptAsync(raw: Record<string, unknown>, valid: ValidInference, fault: RunwareFault | undefined): Promise<StoredTask> {
    const { task, output, spec } = valid
    const baseSeed = task.seed ?? randomInt(SEED_RANGE)
    const count = task.numberResults
    const seeds = Array.from({ length: count }, (_, i) => (baseSeed + i) % SEED_RANGE)
    const rendered = await Promise.all(
      seeds.map((seed, index) =>
        this.answerFor !== undefined && task.outputFormat === 'PNG'
          ? this.hookedAnswerAsync(this.answerFor, { references: valid.references, ...output, seed, index })
          : renderImageAsync(task.outputFormat, output, seed, task.outputQuality)
      )
    )
    // The clock starts once the bytes exist, so the latency is what getResponse shows, however slow rendering was.
    const now = Date.now()
    const expiresAt =
      fault?.kind === 'result-url' && fault.expired === true ? now - 1 : task.ttl === undefined ? null : now + task.ttl * 1000
    const picked = (indices: number[] | undefined, index: number): boolean => indices === undefined || indices.includes(index)
    const results = seeds.map((seed, i): StoredResult => {
      let bytes = rendered[i]!
      if (fault?.kind === 'truncated-image') bytes = bytes.subarray(0, Math.floor(bytes.length / 2))
      const image: StoredImage = { imageUUID: randomUUID(), seed, bytes, format: task.outputFormat, expiresAt }
      const failed = fault?.kind === 'task-error' && picked(fault.results, i)
      if (!failed) this.images.set(image.imageUUID, image)
      const code = fault?.kind === 'task-error' ? (fault.code ?? 'inferenceError') : ''
      return {
        image,
        readyAt: now + Math.round((this.latencyMs * (i + 1)) / count),
        nsfw: fault?.kind === 'nsfw' && picked(fault.results, i),
        error: failed ? { code, message: `Simulated ${code}.`, taskType: 'imageInference', taskUUID: task.taskUUID } : null
      }
    })
    const stored: StoredTask = {
      taskUUID: task.taskUUID,
      outputType: task.outputType,
      forceUrl: fault?.kind === 'result-url',
      includeCost: task.includeCost,
      cost: this.costPerImage ?? spec.cost,
      readyAt: now + this.latencyMs,
      results
    }
    this.tasks.set(stored.taskUUID, stored)
    this.acceptedTasks.push({ taskUUID: stored.taskUUID, task: raw, at: now })
    return stored
  }

  /** The test hook's answer, held to what the fake promises of every result: a PNG at the output size. */
  private async hookedAnswerAsync(answerFor: NonNullable<FakeRunwareOptions['answerFor']>, input: RunwareAnswerInput): Promise<Uint8Array> {
    const bytes = await answerFor(input)
    const size = sniffImageType(bytes) === 'png' ? imageSize(bytes) : undefined
    if (size?.width !== input.width || size.height !== input.height) {
      throw new Error(`answerFor must return a PNG of ${input.width}×${input.height}`)
    }
    return bytes
  }

  /** Every poll returns the full state, one item per result. Never bills. */
  private getResponse(raw: Record<string, unknown>): FakeReply {
    const taskUUID = typeof raw.taskUUID === 'string' ? raw.taskUUID : undefined
    const parsed = GetResponseTask.safeParse(raw)
    if (!parsed.success) throw withTask(rejectionFromIssues(parsed.error.issues), 'getResponse', taskUUID)
    const fault = this.pollFaults.take()
    if (fault?.kind === 'status') {
      const code = statusFaultCode(fault)
      return jsonReply(fault.status, { errors: [{ code, message: `Simulated ${fault.status}.`, taskType: 'getResponse', taskUUID }] })
    }
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: MALFORMED_BODY }
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    const stored = this.tasks.get(parsed.data.taskUUID)
    if (stored === undefined || fault?.kind === 'not-found') {
      throw withTask(reject('taskFailedOrNotFound', 'No task with this taskUUID.', 'taskUUID'), 'getResponse', taskUUID)
    }
    const now = Date.now()
    const data = stored.results.map((result) => {
      if (now < result.readyAt) return { taskType: 'imageInference', taskUUID: stored.taskUUID, status: 'processing' }
      if (result.error !== null) return { taskType: 'imageInference', taskUUID: stored.taskUUID, status: 'error', error: result.error }
      return { ...this.resultItem(stored, result), status: 'success' }
    })
    return jsonReply(200, { data })
  }

  /** The fields of one result; exactly one of imageURL / imageBase64Data / imageDataURI. */
  private resultItem(stored: StoredTask, result: StoredResult): Record<string, unknown> {
    const { image } = result
    const item: Record<string, unknown> = {
      taskType: 'imageInference',
      taskUUID: stored.taskUUID,
      imageUUID: image.imageUUID,
      seed: image.seed,
      NSFWContent: result.nsfw
    }
    if (stored.includeCost) item.cost = stored.cost
    const base64 = (): string => Buffer.from(image.bytes).toString('base64')
    switch (stored.forceUrl ? 'URL' : stored.outputType) {
      case 'URL':
        item.imageURL = `${this.origin}/images/${image.imageUUID}.${EXTENSION[image.format]}`
        break
      case 'base64Data':
        item.imageBase64Data = base64()
        break
      case 'dataURI':
        item.imageDataURI = `data:${MIME[image.format]};base64,${base64()}`
        break
    }
    return item
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withTask(rejection: RunwareRejection, taskType: string, taskUUID: string | undefined): RunwareRejection {
  const item: RunwareErrorItem = { ...rejection.item, taskType }
  if (taskUUID !== undefined) item.taskUUID = taskUUID
  return new RunwareRejection(rejection.status, item)
}

/** The fake handles exactly one task per request (see the header comment). */
function singleTask(elements: unknown[]): Record<string, unknown> {
  if (elements.length === 0) throw reject('invalidRequestBody', 'The task array is empty.')
  if (elements.length > 1) throw fakeUnsupported('several tasks in one request: the fake takes one task per request')
  const [task] = elements
  if (!isRecord(task)) throw reject('invalidRequestBody', 'Every array element must be a task object.')
  return task
}

/** `ttl` is the lifetime of URL results; without it the fake keeps them until it closes. */
function isExpired(image: StoredImage): boolean {
  return image.expiresAt !== null && Date.now() > image.expiresAt
}
