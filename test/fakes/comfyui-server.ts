/**
 * A strict fake of the ComfyUI HTTP API (docs/hosts.md, "ComfyUI") running the FLUX.1 Kontext [dev]
 * and FLUX.2 [dev] edit workflows, limited to what the relay uses: `POST /upload/image`, `POST /prompt`,
 * `GET /history/{id}`, `GET /view`, `GET|POST /queue`, `POST /interrupt`, `GET /system_stats`, and
 * the websocket `/ws?clientId=` (`ws`'s WebSocketServer on the same HTTP server), each also under
 * `/api/...`. There is no auth, as in ComfyUI.
 *
 * The source each behaviour follows (comfyanonymous/ComfyUI, read at Comfy-Org/ComfyUI a125cd84,
 * 2025-10, unless noted):
 * - Routes, the `/api` prefix, `/upload/image` (rename to "name (1).ext" unless the bytes are
 *   identical), `/view`, `GET|POST /queue`, `POST /history`, `/interrupt` with an optional
 *   `prompt_id`: `server.py`.
 * - `POST /prompt`: `server.py` `post_prompt` (a client's `prompt_id` kept, answer
 *   `{prompt_id, number, node_errors}`); validation and its 400 body
 *   `{error:{type,message,details,extra_info}, node_errors}`: `execution.py` `validate_prompt`.
 *   A `prompt_id` that is not a canonical lowercase UUID is refused (400 `invalid_prompt_id`), as
 *   newer builds do (secondary: a third-party reading of v0.36.0).
 * - A `prompt_id` the server already has: by default `409 {"error": "prompt_id already exists"}`
 *   and nothing queued, as the relay's notes on current ComfyUI give it (docs/hosts.md, "ComfyUI",
 *   "Idempotency"); `duplicatePromptId: 'queue-again'` models the server.py read above, which has
 *   no such check and queues the prompt a second time.
 * - Queue items `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, history written only
 *   when a prompt ends (`{}` before), entries `{prompt, outputs, status:{status_str, completed,
 *   messages}, meta}`: `execution.py` `PromptQueue`, `main.py` `prompt_worker`. `task_done` stores
 *   `status: null` when called without a status (the `status-null` fault).
 * - Websocket frames: `server.py` `websocket_handler` / `send_sync`, `main.py`, `execution.py`;
 *   binary previews: `script_examples/websockets_api_example.py`.
 * - Node schemas and the Kontext sizes: `nodes.py`, `comfy_extras/nodes_flux.py`,
 *   `comfy_extras/nodes_edit_model.py`, `comfy_extras/nodes_custom_sampler.py` (RandomNoise,
 *   KSamplerSelect, BasicGuider, SamplerCustomAdvanced).
 * - The FLUX.2 [dev] nodes, which a125cd84 predates: `EmptyFlux2LatentImage` and `Flux2Scheduler`
 *   (`comfy_extras/nodes_flux.py`), `ImageScaleToTotalPixels` with `resolution_steps`
 *   (`comfy_extras/nodes_post_processing.py`) and CLIPLoader's `flux2` type (`nodes.py`), read in
 *   forks' copies of newer ComfyUI (secondary: the stored upstream is older); the node classes, the
 *   input names and the graph of the edit from Comfy-Org's official template
 *   `templates/image_flux2.json` (workflow_templates 0aa43fd, subgraph "Image Edit (Flux.2 Dev)").
 *
 * What it checks, as ComfyUI's `validate_prompt` does (same error types and 400 body): every node
 * has a known `class_type`, required inputs are present, links are `["<id>", slot]` to an existing
 * node with the right output type, INT/FLOAT ranges, and COMBO values (model files, samplers, and
 * LoadImage names, which must be files uploaded to this fake). It executes one prompt at a time,
 * keeps the queue and history ComfyUI's way, and writes a real PNG at the size the graph implies
 * (an EmptySD3LatentImage's or EmptyFlux2LatentImage's width × height, or FluxKontextImageScale's
 * nearest preferred size to the loaded image).
 *
 * Where it is stricter than ComfyUI, to catch relay bugs (each answers 400 as ComfyUI's shape):
 * - unknown body keys on /prompt, unknown node inputs, and unknown multipart fields on uploads are
 *   refused (ComfyUI ignores them); INT/FLOAT/STRING inputs must already have the JSON type
 *   (ComfyUI coerces);
 * - every node is validated, not only those an output depends on;
 * - an upload whose bytes are not a PNG/JPEG/WebP is refused (ComfyUI stores anything);
 * - a graph without exactly one sampler (KSampler or SamplerCustomAdvanced) is refused with
 *   `fake_not_an_edit` (the relay's workflows run one a prompt);
 * - a graph that is not a Kontext edit (KSampler.positive ← FluxGuidance ← ReferenceLatent… ←
 *   CLIPTextEncode, each ReferenceLatent's latent ← VAEEncode ← [FluxKontextImageScale ←] LoadImage,
 *   no stray LoadImage) is refused with `fake_not_kontext`;
 * - a graph that is not the FLUX.2 [dev] edit of the template (SamplerCustomAdvanced ← RandomNoise,
 *   BasicGuider ← ReferenceLatent… ← FluxGuidance ← CLIPTextEncode, KSamplerSelect, Flux2Scheduler,
 *   EmptyFlux2LatentImage; each ReferenceLatent's latent ← VAEEncode ← [ImageScaleToTotalPixels ←]
 *   LoadImage, no stray LoadImage) is refused with `fake_not_flux2`, and so is a Flux2Scheduler
 *   sized otherwise than the latent (the template feeds both from one GetImageSize; ComfyUI would
 *   run it with a schedule for another size);
 * - an empty latent whose width or height is off the 16-px grid is refused (ComfyUI would floor it
 *   and return a smaller image than the relay planned).
 * Every /prompt carrying a prompt_id the fake already has counts in `duplicatePromptIds`, answered
 * 409 or run again: tests of plain flows assert it stays 0.
 *
 * The websocket behaves as ComfyUI's server.py and main.py do: a `status` frame on connect and on
 * every queue change (to every socket); the frames of a run (`execution_start`, `execution_cached`,
 * `executing` per node, `progress` and `progress_state` for each sampler step with a binary
 * preview now and then, `executed` for the SaveImage, `execution_success` or `execution_error` /
 * `execution_interrupted`, and `executing` with `node: null` once the history is written) go only to
 * the socket of the `client_id` that queued the prompt. One socket per clientId: a second connection
 * takes over, and when either closes the id is forgotten (ComfyUI pops it). Nodes whose inputs are
 * unchanged since the last run are cached, and a fully cached run sends nothing at all (the
 * socket's silence on cached runs is a known ComfyUI pitfall, docs/hosts.md, "ComfyUI").
 * Tests can refuse the upgrade (`websocket: 'off'`), have every frame replaced by garbage
 * (`'garbage'`), drop the sockets, and hold a run at a sampler step (`stall` with `atStep`).
 */
import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { imageSize } from 'image-size'
import { WebSocket, WebSocketServer } from 'ws'
import { KONTEXT_DEV_SIZES } from '../../shared/aspect-ratios'
import {
  closeServerAsync,
  deliverReply,
  jsonReply,
  listenOnLoopbackAsync,
  parseJsonBody,
  readBodyAsync,
  sendReply,
  type FakeHostHandle,
  type FakeHostOptions,
  type FakeReply,
  type JsonReply,
  type RawReply
} from './fake-http'
import { FaultQueue, type HostFault } from './host-fault'
import { makePng } from './make-image'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The common faults (test/fakes/host-fault.ts), on ComfyUI's wire; all on `POST /prompt` but
 * `truncated-image`. ComfyUI has no billing: "accepted" here means queued, so it runs (server.py
 * `post_prompt` queues before it answers).
 * - `status`: /prompt answers this status without queuing, as a proxy in front of ComfyUI does (or
 *   aiohttp's own 500 page, `text/plain`, when a handler crashes before `prompt_queue.put`).
 * - `reset`: the connection drops before anything is queued (server.py has not reached
 *   `prompt_queue.put`).
 * - `hang`: /prompt never answers and queues nothing.
 * - `reset-after-accept`: /prompt queues the prompt, then the connection drops before the answer
 *   (`post_prompt` queued it; the answer is lost on the way back).
 * - `malformed`: /prompt answers 200 with a body that is not JSON, and queues nothing.
 * - `truncated-image`: the next GET /view sends the first half of the PNG (server.py `view_image`
 *   streams the file; a connection cut mid-file).
 */
export type ComfyuiFault =
  | HostFault
  /**
   * The connection drops while ComfyUI is still validating the prompt (validate_prompt is async):
   * nothing is queued yet, so /queue and /history do not show it; it is queued just before the
   * next POST /prompt is handled, as when validation outlasts the client's wait.
   */
  | { kind: 'drop-before-queue' }
  /** Queued and run as usual, but its history entry carries `status: null` (task_done called without a status). */
  | { kind: 'status-null' }
  /** Queued; execution fails in the sampler node (history status error with an execution_error message). */
  | { kind: 'execution-error'; exceptionType?: string; exceptionMessage?: string }
  /**
   * Queued; execution stops before the sampler's first step (or after step `atStep`, its progress
   * frames sent) until `resume()`, an interrupt, or close.
   */
  | { kind: 'stall'; atStep?: number }
  /** /prompt waits `ms` before queuing (even if the client has gone), then answers; `stall` as above. */
  | { kind: 'slow-accept'; ms: number; stall?: boolean }
  /** The next GET /history/{id} answers 200 with a body that is not JSON. */
  | { kind: 'history-malformed' }
  /** The next GET /history/{id} answers 500. */
  | { kind: 'history-500' }
  /** The next GET /view answers 404, as when the output file was deleted. */
  | { kind: 'view-missing' }
  /** The next POST /upload/image answers this status without storing. */
  | { kind: 'upload-status'; status: 500 | 503 }

export interface FakeComfyuiOptions {
  /** How long one prompt executes (default 10 ms). */
  latencyMs?: number
  /** Newer builds keep the client's prompt_id; false models an older build that makes its own (default true). */
  honorsPromptId?: boolean
  /** Model files present under models/ (defaults: the files docs/hosts.md, "ComfyUI" names). */
  models?: Partial<{ diffusionModels: string[]; textEncoders: string[]; vae: string[] }>
  /** ComfyUI's --max-upload-size in bytes (default 100 MB). */
  maxUploadBytes?: number
  /** The websocket (default 'on'); see `ComfyWebsocketMode`. */
  websocket?: ComfyWebsocketMode
  /**
   * A POST /prompt whose prompt_id the server already has (queued, running or in history):
   * `conflict` (default) answers `409 {"error": "prompt_id already exists"}` and queues nothing;
   * `queue-again` queues it a second time, as a build without that check does.
   */
  duplicatePromptId?: 'conflict' | 'queue-again'
}

/**
 * - `on`: ComfyUI's frames;
 * - `off`: the upgrade is answered 404, as by a proxy that does not pass websockets (sockets already
 *   open stay open, and get frames);
 * - `garbage`: every frame, text or binary, is replaced by one that is not as server.py sends it
 *   (cut short, not JSON, wrong shapes and types, a value above max, an early "finished").
 */
export type ComfyWebsocketMode = 'on' | 'off' | 'garbage'

export interface WebsocketAttempt {
  /** The `clientId` query parameter, if any. */
  clientId: string | undefined
  accepted: boolean
}

export interface SentFrame {
  /** The `type` of a text frame as ComfyUI would have sent it, or 'preview' for a binary one. */
  type: string
  clientId: string
  /** What went on the wire (garbage in that mode). */
  wire: string | Uint8Array
}

export interface RecordedRequest {
  method: string
  /** Without the `/api` prefix. */
  path: string
  query: Record<string, string>
  contentType: string | undefined
  /** Parsed JSON body, or null. */
  json: unknown
  /** Multipart fields (files as `{filename, type, size}`), or null. */
  form: Record<string, string | { filename: string; type: string; size: number }> | null
}

export interface AcceptedPrompt {
  promptId: string
  number: number
  clientId: string | undefined
  graph: Record<string, FakeNode>
  /** The body keys /prompt received. */
  bodyKeys: string[]
}

export interface FakeNode {
  class_type: string
  inputs: Record<string, unknown>
  [key: string]: unknown
}

export interface StoredUpload {
  name: string
  subfolder: string
  type: string
  bytes: Uint8Array
  width: number
  height: number
}

export interface FakeComfyui {
  /** e.g. http://127.0.0.1:PORT (the value for COMFYUI_URL) */
  url: string
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Prompts queued (each one runs): the billable-equivalent submissions. */
  readonly accepted: ReadonlyArray<AcceptedPrompt>
  /** POST /prompt calls whose prompt_id the fake already had (answered 409, or run twice in `queue-again` mode). */
  readonly duplicatePromptIds: number
  /** Files stored by /upload/image, by `subfolder/name`. */
  readonly uploads: ReadonlyMap<string, StoredUpload>
  /** prompt_ids received in `POST /queue {"delete": [...]}`, in order. */
  readonly deletes: ReadonlyArray<string>
  /** `POST /interrupt` calls: the prompt_id sent, or null for a bare interrupt. */
  readonly interrupts: ReadonlyArray<string | null>
  /** The prompt_ids of prompts that were executing when interrupted. */
  readonly interrupted: ReadonlyArray<string>
  /** Upgrades to `/ws`, in order. */
  readonly websockets: ReadonlyArray<WebsocketAttempt>
  /** The websocket frames sent for one prompt (its run's frames, not `status`). */
  framesFor(promptId: string): SentFrame[]
  /** Websockets open now. */
  openWebsockets(): number
  /** Changes the websocket's behaviour from now on. */
  setWebsocket(mode: ComfyWebsocketMode): void
  /** Cuts every open websocket without a close frame, as a network drop or a restart would. */
  dropWebsockets(): void
  /** The prompt_ids whose run is held by a `stall` fault now. */
  stalled(): string[]
  /** Lets every run held by a `stall` fault go on. */
  resume(): void
  /** Queue a fault; each is used once, by the endpoint it names, in order. */
  failNext(fault: ComfyuiFault, times?: number): void
  /** Puts a file in the input folder, as if someone had uploaded it. */
  putInput(name: string, bytes: Uint8Array): void
  /** The prompt_ids now pending / running. */
  queue(): { running: string[]; pending: string[] }
  close(): Promise<void>
}

export async function startFakeComfyuiAsync(options: FakeComfyuiOptions = {}): Promise<FakeComfyui> {
  const fake = new FakeComfyuiServer(options)
  await fake.listen()
  return fake
}

/** The uniform handle for the cross-host end-to-end test. */
export async function startComfyuiForRelayAsync(options: FakeHostOptions = {}): Promise<FakeHostHandle> {
  const fake = await startFakeComfyuiAsync({ ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }) })
  return {
    env: { COMFYUI_URL: fake.url },
    submissions: () => fake.accepted.length,
    duplicates: () => fake.duplicatePromptIds,
    failNext: (fault, times) => fake.failNext(fault, times),
    close: () => fake.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Node schemas (the subset of /object_info the Kontext and FLUX.2 graphs use) (ComfyUI nodes.py, comfy_extras/nodes_flux.py, comfy_extras/nodes_edit_model.py)
// ---------------------------------------------------------------------------------------------

type LinkType = 'MODEL' | 'CLIP' | 'VAE' | 'IMAGE' | 'MASK' | 'LATENT' | 'CONDITIONING' | 'NOISE' | 'GUIDER' | 'SAMPLER' | 'SIGMAS'
type InputSpec =
  | { kind: 'link'; type: LinkType }
  | { kind: 'INT'; min: number; max: number }
  | { kind: 'FLOAT'; min: number; max: number }
  | { kind: 'STRING' }
  | { kind: 'COMBO'; options: (fake: FakeComfyuiServer) => string[] }

interface NodeSchema {
  required: Record<string, InputSpec>
  optional?: Record<string, InputSpec>
  /** Inputs ComfyUI's UI writes that are not in the schema (ignored). */
  ignored?: string[]
  outputs: LinkType[]
  outputNode?: boolean
}

const link = (type: LinkType): InputSpec => ({ kind: 'link', type })
const int = (min: number, max: number): InputSpec => ({ kind: 'INT', min, max })
const float = (min: number, max: number): InputSpec => ({ kind: 'FLOAT', min, max })
const combo = (options: (fake: FakeComfyuiServer) => string[]): InputSpec => ({ kind: 'COMBO', options })
const STRING: InputSpec = { kind: 'STRING' }
// ComfyUI's seed maximum, 2^64 − 1, as the nearest double (the literal would lose the same precision silently).
const SEED_MAX = Number(2n ** 64n - 1n)
const SAMPLERS = ['euler', 'euler_ancestral', 'heun', 'dpm_2', 'dpmpp_2m', 'dpmpp_sde', 'ddim', 'uni_pc', 'lcm']
// nodes.py CLIPLoader at a125cd84, plus `flux2` (newer builds; the FLUX.2 template's type).
const CLIP_TYPES = [
  'stable_diffusion',
  'stable_cascade',
  'sd3',
  'stable_audio',
  'mochi',
  'ltxv',
  'pixart',
  'cosmos',
  'lumina2',
  'wan',
  'hidream',
  'chroma',
  'ace',
  'omnigen2',
  'qwen_image',
  'hunyuan_image',
  'flux2'
]
// nodes.py MAX_RESOLUTION.
const MAX_RESOLUTION = 16384
const SCHEDULERS = ['normal', 'karras', 'exponential', 'sgm_uniform', 'simple', 'ddim_uniform', 'beta', 'linear_quadratic', 'kl_optimal']

const SCHEMAS: Record<string, NodeSchema> = {
  UNETLoader: {
    required: {
      unet_name: combo((fake) => fake.models.diffusionModels),
      weight_dtype: combo(() => ['default', 'fp8_e4m3fn', 'fp8_e4m3fn_fast', 'fp8_e5m2'])
    },
    outputs: ['MODEL']
  },
  DualCLIPLoader: {
    required: {
      clip_name1: combo((fake) => fake.models.textEncoders),
      clip_name2: combo((fake) => fake.models.textEncoders),
      type: combo(() => ['sdxl', 'sd3', 'flux', 'hunyuan_video', 'hidream'])
    },
    optional: { device: combo(() => ['default', 'cpu']) },
    outputs: ['CLIP']
  },
  CLIPLoader: {
    required: { clip_name: combo((fake) => fake.models.textEncoders), type: combo(() => CLIP_TYPES) },
    optional: { device: combo(() => ['default', 'cpu']) },
    outputs: ['CLIP']
  },
  VAELoader: { required: { vae_name: combo((fake) => fake.models.vae) }, outputs: ['VAE'] },
  LoadImage: { required: { image: combo((fake) => fake.inputNames()) }, ignored: ['upload'], outputs: ['IMAGE', 'MASK'] },
  FluxKontextImageScale: { required: { image: link('IMAGE') }, outputs: ['IMAGE'] },
  ImageScaleToTotalPixels: {
    required: {
      image: link('IMAGE'),
      upscale_method: combo(() => ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']),
      megapixels: float(0.01, 16),
      resolution_steps: int(1, 256)
    },
    outputs: ['IMAGE']
  },
  VAEEncode: { required: { pixels: link('IMAGE'), vae: link('VAE') }, outputs: ['LATENT'] },
  CLIPTextEncode: { required: { text: STRING, clip: link('CLIP') }, outputs: ['CONDITIONING'] },
  ReferenceLatent: { required: { conditioning: link('CONDITIONING') }, optional: { latent: link('LATENT') }, outputs: ['CONDITIONING'] },
  FluxKontextMultiReferenceLatentMethod: {
    required: { conditioning: link('CONDITIONING'), reference_latents_method: combo(() => ['offset', 'index', 'uxo/uno']) },
    outputs: ['CONDITIONING']
  },
  FluxGuidance: { required: { conditioning: link('CONDITIONING'), guidance: float(0, 100) }, outputs: ['CONDITIONING'] },
  ConditioningZeroOut: { required: { conditioning: link('CONDITIONING') }, outputs: ['CONDITIONING'] },
  EmptySD3LatentImage: {
    required: { width: int(16, MAX_RESOLUTION), height: int(16, MAX_RESOLUTION), batch_size: int(1, 4096) },
    outputs: ['LATENT']
  },
  EmptyFlux2LatentImage: {
    required: { width: int(16, MAX_RESOLUTION), height: int(16, MAX_RESOLUTION), batch_size: int(1, 4096) },
    outputs: ['LATENT']
  },
  Flux2Scheduler: {
    required: { steps: int(1, 4096), width: int(16, MAX_RESOLUTION), height: int(16, MAX_RESOLUTION) },
    outputs: ['SIGMAS']
  },
  RandomNoise: { required: { noise_seed: int(0, SEED_MAX) }, outputs: ['NOISE'] },
  KSamplerSelect: { required: { sampler_name: combo(() => SAMPLERS) }, outputs: ['SAMPLER'] },
  BasicGuider: { required: { model: link('MODEL'), conditioning: link('CONDITIONING') }, outputs: ['GUIDER'] },
  SamplerCustomAdvanced: {
    required: {
      noise: link('NOISE'),
      guider: link('GUIDER'),
      sampler: link('SAMPLER'),
      sigmas: link('SIGMAS'),
      latent_image: link('LATENT')
    },
    outputs: ['LATENT', 'LATENT']
  },
  KSampler: {
    required: {
      model: link('MODEL'),
      seed: int(0, SEED_MAX),
      steps: int(1, 10000),
      cfg: float(0, 100),
      sampler_name: combo(() => SAMPLERS),
      scheduler: combo(() => SCHEDULERS),
      positive: link('CONDITIONING'),
      negative: link('CONDITIONING'),
      latent_image: link('LATENT'),
      denoise: float(0, 1)
    },
    outputs: ['LATENT']
  },
  VAEDecode: { required: { samples: link('LATENT'), vae: link('VAE') }, outputs: ['IMAGE'] },
  SaveImage: { required: { images: link('IMAGE'), filename_prefix: STRING }, outputs: [], outputNode: true },
  PreviewImage: { required: { images: link('IMAGE') }, outputs: [], outputNode: true }
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const PROMPT_BODY_KEYS = new Set(['prompt', 'client_id', 'prompt_id', 'extra_data', 'front', 'number', 'partial_execution_targets'])
const UPLOAD_FIELDS = new Set(['image', 'type', 'subfolder', 'overwrite'])
const DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Replies and errors
// ---------------------------------------------------------------------------------------------

/** ComfyUI answers through aiohttp's json_response, which names the charset. */
const json = (status: number, body: unknown, headers?: Record<string, string>): JsonReply => ({
  ...jsonReply(status, body, headers),
  contentType: 'application/json; charset=utf-8'
})
const text = (status: number, body: string): RawReply => ({ kind: 'raw', status, contentType: 'text/plain; charset=utf-8', body })

interface ComfyError {
  type: string
  message: string
  details: string
  extra_info: Record<string, unknown>
}

const promptError = (type: string, message: string, details = '', extraInfo: Record<string, unknown> = {}): FakeReply =>
  json(400, { error: { type, message, details, extra_info: extraInfo } satisfies ComfyError, node_errors: {} })

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ---------------------------------------------------------------------------------------------
// Queue items
// ---------------------------------------------------------------------------------------------

interface QueueItem {
  number: number
  promptId: string
  graph: Record<string, FakeNode>
  extraData: Record<string, unknown>
  outputs: string[]
  fault: ComfyuiFault | undefined
  output: { width: number; height: number }
  interrupt: AbortController
  /** The node executing now, for a socket that reconnects mid-run. */
  node?: string | undefined
}

type HistoryEntry = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

class FakeComfyuiServer implements FakeComfyui {
  url = ''
  readonly models: { diffusionModels: string[]; textEncoders: string[]; vae: string[] }
  private readonly latencyMs: number
  private readonly honorsPromptId: boolean
  private readonly duplicatePromptId: 'conflict' | 'queue-again'
  /** Prompts a `drop-before-queue` fault holds until the next POST /prompt. */
  private readonly deferred: Array<() => void> = []
  private readonly maxUploadBytes: number
  private readonly recorded: RecordedRequest[] = []
  private readonly acceptedPrompts: AcceptedPrompt[] = []
  private readonly seenPromptIds = new Set<string>()
  private duplicates = 0
  private readonly inputFiles = new Map<string, StoredUpload>()
  private readonly outputFiles = new Map<string, Uint8Array>()
  private readonly deleted: string[] = []
  private readonly interruptCalls: Array<string | null> = []
  private readonly interruptedIds: string[] = []
  private readonly faults = new FaultQueue<ComfyuiFault>()
  private readonly pending: QueueItem[] = []
  private running: QueueItem | undefined
  private readonly history = new Map<string, HistoryEntry>()
  private counter = 0
  private outputCounter = 0
  private readonly closing = new AbortController()
  private closed: Promise<void> | null = null
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy()
      sendReply(response, text(500, `500 Internal Server Error (fake crashed: ${error instanceof Error ? error.message : String(error)})`))
    })
  })
  private websocketMode: ComfyWebsocketMode
  private readonly wss = new WebSocketServer({ noServer: true })
  /** server.py's `sockets`: the one socket per sid (the clientId) that frames go to. */
  private readonly sockets = new Map<string, WebSocket>()
  private readonly attempts: WebsocketAttempt[] = []
  private readonly frames = new Map<string, SentFrame[]>()
  private garbageIndex = 0
  /** Signatures of the nodes the last run executed: what ComfyUI's cache would still hold. */
  private cache = new Set<string>()
  private readonly held = new Map<string, () => void>()

  constructor(options: FakeComfyuiOptions) {
    this.latencyMs = options.latencyMs ?? 10
    this.honorsPromptId = options.honorsPromptId ?? true
    this.duplicatePromptId = options.duplicatePromptId ?? 'conflict'
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD
    this.websocketMode = options.websocket ?? 'on'
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head))
    this.models = {
      diffusionModels: options.models?.diffusionModels ?? [
        'flux1-dev-kontext_fp8_scaled.safetensors',
        'flux1-kontext-dev.safetensors',
        'flux2_dev_fp8mixed.safetensors'
      ],
      textEncoders: options.models?.textEncoders ?? [
        'clip_l.safetensors',
        't5xxl_fp8_e4m3fn_scaled.safetensors',
        't5xxl_fp16.safetensors',
        'mistral_3_small_flux2_bf16.safetensors'
      ],
      vae: options.models?.vae ?? ['ae.safetensors', 'flux2-vae.safetensors']
    }
  }

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.recorded
  }
  get accepted(): ReadonlyArray<AcceptedPrompt> {
    return this.acceptedPrompts
  }
  get duplicatePromptIds(): number {
    return this.duplicates
  }
  get uploads(): ReadonlyMap<string, StoredUpload> {
    return this.inputFiles
  }
  get deletes(): ReadonlyArray<string> {
    return this.deleted
  }
  get interrupts(): ReadonlyArray<string | null> {
    return this.interruptCalls
  }
  get interrupted(): ReadonlyArray<string> {
    return this.interruptedIds
  }
  get websockets(): ReadonlyArray<WebsocketAttempt> {
    return this.attempts
  }

  framesFor(promptId: string): SentFrame[] {
    return [...(this.frames.get(promptId) ?? [])]
  }

  openWebsockets(): number {
    return [...this.wss.clients].filter((client) => client.readyState === WebSocket.OPEN).length
  }

  setWebsocket(mode: ComfyWebsocketMode): void {
    this.websocketMode = mode
  }

  dropWebsockets(): void {
    for (const client of this.wss.clients) client.terminate()
  }

  stalled(): string[] {
    return [...this.held.keys()]
  }

  resume(): void {
    for (const resume of [...this.held.values()]) resume()
  }

  failNext(fault: ComfyuiFault, times = 1): void {
    this.faults.failNext(fault, times)
  }

  putInput(name: string, bytes: Uint8Array): void {
    const { width = 0, height = 0 } = imageSize(bytes)
    this.inputFiles.set(name, { name, subfolder: '', type: 'input', bytes, width, height })
  }

  queue(): { running: string[]; pending: string[] } {
    return { running: this.running === undefined ? [] : [this.running.promptId], pending: this.pending.map((item) => item.promptId) }
  }

  inputNames(): string[] {
    return [...this.inputFiles.keys()]
  }

  async listen(): Promise<void> {
    this.url = await listenOnLoopbackAsync(this.server)
  }

  close(): Promise<void> {
    if (this.closed === null) {
      this.closing.abort()
      // Upgraded sockets are no longer the HTTP server's to close, and server.close waits for them.
      for (const client of this.wss.clients) client.terminate()
      this.wss.close()
      this.closed = closeServerAsync(this.server, this.closing)
    }
    return this.closed
  }

  private takeFault(kinds: ReadonlyArray<ComfyuiFault['kind']>): ComfyuiFault | undefined {
    return this.faults.take((fault): fault is ComfyuiFault => kinds.includes(fault.kind))
  }

  // --- routing --------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBodyAsync(request)
    const parsedUrl = new URL(request.url ?? '/', 'http://fake')
    const path = parsedUrl.pathname.replace(/^\/api(?=\/)/, '')
    const query = Object.fromEntries(parsedUrl.searchParams)
    const contentType = request.headers['content-type']
    const method = request.method ?? 'GET'
    let body: unknown = null
    let form: FormData | null = null
    if (/^multipart\/form-data/i.test(contentType ?? '')) {
      form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': contentType! }, body: new Uint8Array(raw) })
        .formData()
        .catch(() => null)
    } else if (raw.length > 0) {
      // undefined, not null: /prompt tells a body that is not JSON from no body at all.
      const parsed = parseJsonBody(raw)
      body = parsed.ok ? parsed.value : undefined
    }
    this.recorded.push({ method, path, query, contentType, json: body ?? null, form: form === null ? null : describeForm(form) })

    const reply = await this.route(method, path, query, body, form, raw.length)
    if (this.closing.signal.aborted) return
    deliverReply(request, response, reply)
  }

  private async route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    form: FormData | null,
    size: number
  ): Promise<FakeReply> {
    const allow = (expected: string): FakeReply | undefined => (method === expected ? undefined : text(405, '405: Method Not Allowed'))
    if (path === '/upload/image') return allow('POST') ?? (await this.upload(form, size))
    if (path === '/prompt') {
      if (method === 'GET') return json(200, this.queueInfo())
      return allow('POST') ?? (await this.prompt(body))
    }
    if (path === '/queue') return method === 'GET' ? this.getQueue() : (allow('POST') ?? this.postQueue(body))
    if (path === '/interrupt') return allow('POST') ?? this.interrupt(body)
    if (path === '/history')
      return method === 'GET' ? json(200, Object.fromEntries(this.history)) : (allow('POST') ?? this.postHistory(body))
    const historyMatch = /^\/history\/([^/]+)$/.exec(path)
    if (historyMatch !== null) return allow('GET') ?? this.getHistory(decodeURIComponent(historyMatch[1]!))
    if (path === '/view') return allow('GET') ?? this.view(query)
    if (path === '/system_stats') {
      return (
        allow('GET') ??
        json(200, { system: { os: 'posix', comfyui_version: 'fake', python_version: '3.12', embedded_python: false }, devices: [] })
      )
    }
    return text(404, '404: Not Found')
  }

  // --- /upload/image --------------------------------------------------------------------------

  private async upload(form: FormData | null, size: number): Promise<FakeReply> {
    if (size > this.maxUploadBytes) return text(413, '413: Request Entity Too Large')
    if (form === null) return text(400, '')
    const fault = this.takeFault(['upload-status'])
    if (fault?.kind === 'upload-status') return text(fault.status, `${fault.status}: simulated`)
    for (const key of new Set(form.keys())) {
      if (!UPLOAD_FIELDS.has(key)) return text(400, `fake: unknown upload field "${key}" (ComfyUI would ignore it)`)
    }
    const image = form.get('image')
    // undici's File may not be the global File class: test the shape, not the prototype.
    if (image === null || typeof image === 'string' || image.name === '') return text(400, '')
    const type = stringField(form, 'type') ?? 'input'
    if (!['input', 'temp', 'output'].includes(type)) return text(400, `fake: unknown type "${type}"`)
    const subfolder = stringField(form, 'subfolder') ?? ''
    if (subfolder.startsWith('/') || subfolder.split(/[\\/]/).includes('..') || image.name.includes('/') || image.name.includes('..'))
      return text(400, '')
    const overwrite = stringField(form, 'overwrite')
    const bytes = new Uint8Array(await image.arrayBuffer())
    let dimensions: { width: number; height: number }
    try {
      const measured = imageSize(bytes)
      if (!(measured.width > 0 && measured.height > 0) || !['png', 'jpg', 'webp'].includes(measured.type ?? ''))
        throw new Error('not an image')
      dimensions = { width: measured.width, height: measured.height }
    } catch {
      return text(400, 'fake: the uploaded bytes are not a PNG, JPEG or WebP image (ComfyUI would store them and fail in LoadImage)')
    }
    const key = (name: string): string => (subfolder === '' ? name : `${subfolder}/${name}`)
    let name = image.name
    if (!(overwrite === 'true' || overwrite === '1')) {
      // server.py image_upload: rename "name (1).ext", "name (2).ext"… unless the bytes are identical.
      const dot = name.lastIndexOf('.')
      const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
      for (let i = 1; ; i += 1) {
        const existing = type === 'input' ? this.inputFiles.get(key(name)) : undefined
        if (existing === undefined) break
        if (Buffer.from(existing.bytes).equals(Buffer.from(bytes))) return json(200, { name, subfolder, type })
        name = `${stem} (${i})${extension}`
      }
    }
    if (type === 'input') this.inputFiles.set(key(name), { name, subfolder, type, bytes, ...dimensions })
    return json(200, { name, subfolder, type })
  }

  // --- /prompt --------------------------------------------------------------------------------

  private async prompt(body: unknown): Promise<FakeReply> {
    // A request still validating when its client left is queued before the next one is handled.
    for (const queueDeferred of this.deferred.splice(0)) queueDeferred()
    if (body === undefined) return promptError('invalid_prompt', 'fake: the body is not JSON')
    if (!isRecord(body) || !('prompt' in body)) return promptError('no_prompt', 'No prompt provided', 'No prompt provided')
    const unknown = Object.keys(body).filter((key) => !PROMPT_BODY_KEYS.has(key))
    if (unknown.length > 0)
      return promptError('invalid_prompt', `fake: unknown body key(s) ${unknown.join(', ')} (ComfyUI would ignore them)`)
    for (const [key, ok] of [
      ['client_id', body.client_id === undefined || typeof body.client_id === 'string'],
      ['prompt_id', body.prompt_id === undefined || typeof body.prompt_id === 'string'],
      ['extra_data', body.extra_data === undefined || isRecord(body.extra_data)],
      ['front', body.front === undefined || typeof body.front === 'boolean'],
      ['number', body.number === undefined || typeof body.number === 'number']
    ] as const) {
      if (!ok) return promptError('invalid_prompt', `fake: ${key} has the wrong type`)
    }
    // Builds that keep a client's prompt_id refuse one that is not a canonical lowercase UUID (a
    // third-party reading of ComfyUI v0.36.0 server.py / comfy_execution/jobs.py validate_job_id).
    if (this.honorsPromptId && typeof body.prompt_id === 'string' && !CANONICAL_UUID.test(body.prompt_id)) {
      return promptError(
        'invalid_prompt_id',
        'prompt_id must be a valid UUID',
        'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one'
      )
    }
    const graph = body.prompt
    if (!isRecord(graph)) return promptError('invalid_prompt', 'fake: prompt must be an object of nodes')
    const validation = this.validateGraph(graph)
    if ('reply' in validation) return validation.reply

    const promptId = this.honorsPromptId && typeof body.prompt_id === 'string' ? body.prompt_id : randomUUID()
    if (this.seenPromptIds.has(promptId)) {
      this.duplicates += 1
      if (this.duplicatePromptId === 'conflict') return json(409, { error: 'prompt_id already exists' })
    }

    let fault = this.takeFault([
      'status',
      'reset',
      'hang',
      'malformed',
      'reset-after-accept',
      'drop-before-queue',
      'execution-error',
      'stall',
      'slow-accept',
      'status-null'
    ])
    if (fault?.kind === 'slow-accept') {
      if (!(await this.wait(fault.ms))) return { kind: 'hang' }
      fault = fault.stall === true ? { kind: 'stall' } : undefined
    }
    if (fault?.kind === 'status') {
      const headers = fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) }
      return fault.status === 500
        ? text(500, '500 Internal Server Error\n\nServer got itself in trouble')
        : json(fault.status, { error: `simulated ${fault.status}` }, headers)
    }
    if (fault?.kind === 'reset') return { kind: 'destroy' }
    if (fault?.kind === 'hang') return { kind: 'hang' }
    if (fault?.kind === 'malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"prompt_id": "' }

    const number = typeof body.number === 'number' ? body.number : this.counter
    this.counter += 1
    const extraData: Record<string, unknown> = { ...(isRecord(body.extra_data) ? body.extra_data : {}) }
    if (typeof body.client_id === 'string') extraData.client_id = body.client_id
    const typedGraph = graph as Record<string, FakeNode>
    const bodyKeys = Object.keys(body)
    const queueIt = (): void => {
      this.seenPromptIds.add(promptId)
      this.acceptedPrompts.push({
        promptId,
        number,
        clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
        graph: structuredClone(typedGraph),
        bodyKeys
      })
      this.pending.push({
        number,
        promptId,
        graph: typedGraph,
        extraData,
        outputs: validation.outputs,
        fault,
        output: validation.output,
        interrupt: new AbortController()
      })
      this.pending.sort((a, b) => a.number - b.number)
      this.pump()
      this.broadcastStatus()
    }
    if (fault?.kind === 'drop-before-queue') {
      this.deferred.push(queueIt)
      return { kind: 'destroy' }
    }
    queueIt()
    if (fault?.kind === 'reset-after-accept') return { kind: 'destroy' }
    return json(200, { prompt_id: promptId, number, node_errors: {} })
  }

  /** ComfyUI's validate_prompt, plus the fake's Kontext check; the output size on success. */
  private validateGraph(
    graph: Record<string, unknown>
  ): { reply: FakeReply } | { outputs: string[]; output: { width: number; height: number } } {
    for (const [id, node] of Object.entries(graph)) {
      if (!isRecord(node) || typeof node.class_type !== 'string') {
        return {
          reply: promptError('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`)
        }
      }
      if (SCHEMAS[node.class_type] === undefined) {
        return {
          reply: promptError('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`)
        }
      }
      if (!isRecord(node.inputs))
        return { reply: promptError('invalid_prompt', `fake: node ${id} has no inputs object`, `Node ID '#${id}'`) }
    }
    const nodes = graph as Record<string, FakeNode>
    const outputs = Object.keys(nodes).filter((id) => SCHEMAS[nodes[id]!.class_type]!.outputNode === true)
    if (outputs.length === 0) return { reply: promptError('prompt_no_outputs', 'Prompt has no outputs') }

    const nodeErrors: Record<string, unknown> = {}
    for (const [id, node] of Object.entries(nodes)) {
      const errors = this.validateInputs(nodes, node)
      if (errors.length > 0) nodeErrors[id] = { errors, dependent_outputs: outputs, class_type: node.class_type }
    }
    if (Object.keys(nodeErrors).length > 0) {
      const details = Object.values(nodeErrors)
        .flatMap((entry) => (entry as { errors: ComfyError[] }).errors.map((error) => `${error.message}: ${error.details}`))
        .join('\n')
      return {
        reply: json(400, {
          error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} },
          node_errors: nodeErrors
        })
      }
    }
    const cycle = findCycle(nodes)
    if (cycle !== undefined) return { reply: promptError('invalid_prompt', `fake: dependency cycle through node ${cycle}`) }
    const samplers = samplersOf(nodes)
    if (samplers.length !== 1)
      return {
        reply: promptError('fake_not_an_edit', `expected one sampler, found ${samplers.length} (a check of this test fake, not of ComfyUI)`)
      }
    const sampler = samplers[0]!
    const shape = EDIT_SHAPES[nodes[sampler]!.class_type]!
    const edit = shape.check(nodes, sampler)
    const size = typeof edit === 'string' ? edit : this.outputSize(nodes, edit.latentFrom)
    if (typeof size === 'string') return { reply: promptError(shape.refusal, `${size} (a check of this test fake, not of ComfyUI)`) }
    return { outputs, output: size }
  }

  /** execution.py validate_inputs, for one node (links are checked one level deep). */
  private validateInputs(nodes: Record<string, FakeNode>, node: FakeNode): ComfyError[] {
    const schema = SCHEMAS[node.class_type]!
    const errors: ComfyError[] = []
    const specs: Array<[string, InputSpec, boolean]> = [
      ...Object.entries(schema.required).map(([name, spec]): [string, InputSpec, boolean] => [name, spec, true]),
      ...Object.entries(schema.optional ?? {}).map(([name, spec]): [string, InputSpec, boolean] => [name, spec, false])
    ]
    for (const name of Object.keys(node.inputs)) {
      if (!specs.some(([known]) => known === name) && !(schema.ignored ?? []).includes(name)) {
        errors.push({
          type: 'unknown_input',
          message: 'fake: input is not in the node schema (ComfyUI would ignore it)',
          details: name,
          extra_info: { input_name: name }
        })
      }
    }
    for (const [name, spec, required] of specs) {
      const value = node.inputs[name]
      if (value === undefined) {
        if (required)
          errors.push({
            type: 'required_input_missing',
            message: 'Required input is missing',
            details: name,
            extra_info: { input_name: name }
          })
        continue
      }
      if (Array.isArray(value)) {
        if (value.length !== 2) {
          errors.push({
            type: 'bad_linked_input',
            message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
            details: name,
            extra_info: { input_name: name, received_value: value }
          })
          continue
        }
        const [from, slot] = value as [unknown, unknown]
        const source = typeof from === 'string' ? nodes[from] : undefined
        const received = source === undefined || typeof slot !== 'number' ? undefined : SCHEMAS[source.class_type]!.outputs[slot]
        if (received === undefined) {
          errors.push({
            type: 'exception_during_inner_validation',
            message: 'Exception when validating inner node',
            details: `'${String(from)}'`,
            extra_info: { input_name: name, linked_node: value }
          })
        } else if (spec.kind !== 'link' || received !== spec.type) {
          const expected = spec.kind === 'link' ? spec.type : spec.kind
          errors.push({
            type: 'return_type_mismatch',
            message: 'Return type mismatch between linked nodes',
            details: `${name}, ${received} != ${expected}`,
            extra_info: { input_name: name, received_type: received, linked_node: value }
          })
        }
        continue
      }
      if (spec.kind === 'link') {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: name,
          extra_info: { input_name: name, received_value: value }
        })
        continue
      }
      const typeOk =
        spec.kind === 'INT'
          ? Number.isInteger(value)
          : spec.kind === 'FLOAT'
            ? typeof value === 'number' && Number.isFinite(value)
            : typeof value === 'string'
      if (!typeOk) {
        const kind = spec.kind === 'COMBO' ? 'STRING' : spec.kind
        errors.push({
          type: 'invalid_input_type',
          message: `Failed to convert an input value to a ${kind} value`,
          details: `${name}, ${JSON.stringify(value)}`,
          extra_info: { input_name: name, received_value: value }
        })
        continue
      }
      if ((spec.kind === 'INT' || spec.kind === 'FLOAT') && (value as number) < spec.min) {
        errors.push({
          type: 'value_smaller_than_min',
          message: `Value ${value as number} smaller than min of ${spec.min}`,
          details: name,
          extra_info: { input_name: name, received_value: value }
        })
      } else if ((spec.kind === 'INT' || spec.kind === 'FLOAT') && (value as number) > spec.max) {
        errors.push({
          type: 'value_bigger_than_max',
          message: `Value ${value as number} bigger than max of ${spec.max}`,
          details: name,
          extra_info: { input_name: name, received_value: value }
        })
      } else if (spec.kind === 'COMBO') {
        const options = spec.options(this)
        const candidate = node.class_type === 'LoadImage' ? (value as string).replace(/ \[input\]$/, '') : (value as string)
        if (!options.includes(candidate)) {
          errors.push({
            type: 'value_not_in_list',
            message: 'Value not in list',
            details: `${name}: '${value as string}' not in ${options.length > 20 ? `(list of length ${options.length})` : JSON.stringify(options)}`,
            extra_info: { input_name: name, received_value: value }
          })
        }
      }
    }
    return errors
  }

  /** The pixel size of the sampler's latent_image. */
  private outputSize(nodes: Record<string, FakeNode>, latentFrom: string): { width: number; height: number } | string {
    const latent = nodes[latentFrom]!
    if (EMPTY_LATENTS.has(latent.class_type)) {
      const { width, height, batch_size: batch } = latent.inputs as { width: number; height: number; batch_size: number }
      if (width % 16 !== 0 || height % 16 !== 0)
        return `${latent.class_type} ${latentFrom} is ${width}x${height}; width and height step by 16`
      if (batch !== 1) return 'batch_size must be 1 (the fake renders one image a prompt)'
      return { width, height }
    }
    if (latent.class_type !== 'VAEEncode') return `the sampler's latent_image comes from ${latent.class_type}, which the fake cannot size`
    const pixels = nodes[linkNode(latent.inputs.pixels)!]!
    if (pixels.class_type === 'FluxKontextImageScale') {
      const load = this.loadedImage(nodes[linkNode(pixels.inputs.image)!]!)
      if (load === undefined) return 'FluxKontextImageScale must read a LoadImage'
      // nodes_flux.py: the preferred resolution with the nearest width/height ratio.
      const ratio = load.width / load.height
      let best = KONTEXT_DEV_SIZES[0]!
      for (const size of KONTEXT_DEV_SIZES)
        if (Math.abs(ratio - size.width / size.height) < Math.abs(ratio - best.width / best.height)) best = size
      return { width: best.width, height: best.height }
    }
    const load = this.loadedImage(pixels)
    if (load === undefined) return 'VAEEncode must read a LoadImage or FluxKontextImageScale'
    return { width: load.width - (load.width % 8), height: load.height - (load.height % 8) }
  }

  private loadedImage(node: FakeNode): StoredUpload | undefined {
    if (node.class_type !== 'LoadImage') return undefined
    return this.inputFiles.get(String(node.inputs.image).replace(/ \[input\]$/, ''))
  }

  /** Sleeps unless the server closes first; false when it closed. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.closing.signal })
      return true
    } catch {
      return false
    }
  }

  // --- websocket ------------------------------------------------------------------------------

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined)
    const parsedUrl = new URL(request.url ?? '/', 'http://fake')
    const path = parsedUrl.pathname.replace(/^\/api(?=\/)/, '')
    const clientId = parsedUrl.searchParams.get('clientId') ?? undefined
    const refuse = (): void =>
      void socket.end(
        'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\nConnection: close\r\n\r\n404: Not Found'
      )
    if (this.closing.signal.aborted) return void socket.destroy()
    if (path !== '/ws') return refuse()
    const accepted = this.websocketMode !== 'off'
    this.attempts.push({ clientId, accepted })
    if (!accepted) return refuse()
    this.wss.handleUpgrade(request, socket, head, (ws) => this.connected(ws, clientId))
  }

  /** server.py websocket_handler. */
  private connected(ws: WebSocket, clientId: string | undefined): void {
    const sid = clientId !== undefined && clientId !== '' ? clientId : randomUUID().replace(/-/g, '')
    // "Reusing existing session, remove old": the newest socket of a clientId gets its frames…
    this.sockets.set(sid, ws)
    ws.on('error', () => undefined)
    // …and when any socket of that clientId closes, ComfyUI pops the sid, whichever socket holds it.
    ws.on('close', () => this.sockets.delete(sid))
    this.sendText(sid, undefined, 'status', { status: this.queueInfo(), sid })
    // On a reconnect of the running prompt's client, the current node, without a prompt_id.
    const running = this.running
    if (running !== undefined && running.extraData.client_id === sid && running.node !== undefined)
      this.sendText(sid, undefined, 'executing', { node: running.node })
  }

  private queueInfo(): { exec_info: { queue_remaining: number } } {
    return { exec_info: { queue_remaining: this.pending.length + (this.running === undefined ? 0 : 1) } }
  }

  /** server.py queue_updated: a `status` frame to every socket. */
  private broadcastStatus(): void {
    for (const sid of this.sockets.keys()) this.sendText(sid, undefined, 'status', { status: this.queueInfo() })
  }

  /** server.py send_sync to one sid: dropped when that sid has no socket. */
  private sendText(sid: string | undefined, promptId: string | undefined, type: string, data: Record<string, unknown>): void {
    this.deliver(sid, promptId, type, JSON.stringify({ type, data }), false)
  }

  /** A preview: 4-byte big-endian event type (1, PREVIEW_IMAGE), 4-byte image type (2, PNG), the image. */
  private sendPreview(sid: string | undefined, promptId: string): void {
    const header = Buffer.alloc(8)
    header.writeUInt32BE(1, 0)
    header.writeUInt32BE(2, 4)
    this.deliver(sid, promptId, 'preview', new Uint8Array(Buffer.concat([header, makePng(16, 16, 5)])), true)
  }

  private deliver(sid: string | undefined, promptId: string | undefined, type: string, frame: string | Uint8Array, binary: boolean): void {
    const socket = sid === undefined ? undefined : this.sockets.get(sid)
    if (sid === undefined || socket === undefined || socket.readyState !== WebSocket.OPEN) return
    const wire = this.websocketMode === 'garbage' ? this.garbage(promptId ?? randomUUID(), binary) : frame
    socket.send(wire, { binary: typeof wire !== 'string' })
    if (promptId === undefined) return
    const sent = this.frames.get(promptId) ?? []
    sent.push({ type, clientId: sid, wire })
    this.frames.set(promptId, sent)
  }

  private garbage(promptId: string, binary: boolean): string | Uint8Array {
    const frames = binary ? GARBAGE_BINARY : garbageText(promptId)
    this.garbageIndex += 1
    return frames[this.garbageIndex % frames.length]!
  }

  // --- execution ------------------------------------------------------------------------------

  private pump(): void {
    if (this.running !== undefined || this.closing.signal.aborted) return
    const item = this.pending.shift()
    if (item === undefined) return
    this.running = item
    void this.execute(item).finally(() => {
      this.running = undefined
      this.broadcastStatus()
      this.pump()
    })
  }

  /** Sleeps unless the run is interrupted or the fake closes; false when it was. */
  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal })
      return true
    } catch {
      return false
    }
  }

  /** A `stall`: waits for resume(); false when interrupted or closed first. */
  private hold(promptId: string, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const end = (resumed: boolean): void => {
        this.held.delete(promptId)
        signal.removeEventListener('abort', abort)
        resolve(resumed)
      }
      const abort = (): void => end(false)
      if (signal.aborted) return end(false)
      signal.addEventListener('abort', abort, { once: true })
      this.held.set(promptId, () => end(true))
    })
  }

  /**
   * execution.py PromptExecutor.execute: the nodes the outputs need, inputs first; those whose
   * signature the last run left in the cache are skipped. Then main.py prompt_worker: the history,
   * and `executing` with `node: null`.
   */
  private async execute(item: QueueItem): Promise<void> {
    const promptId = item.promptId
    const sid = typeof item.extraData.client_id === 'string' ? item.extraData.client_id : undefined
    const signal = AbortSignal.any([item.interrupt.signal, this.closing.signal])
    const order = executionOrder(item.graph, item.outputs)
    const signatures = nodeSignatures(item.graph)
    // A fault has to reach the sampler: a faulted run finds nothing in the cache.
    const faulted = item.fault?.kind === 'stall' || item.fault?.kind === 'execution-error'
    const cached = faulted ? [] : order.filter((id) => this.cache.has(signatures.get(id)!))
    const toRun = order.filter((id) => !cached.includes(id))
    // For a fully cached run the socket may stay silent (docs/hosts.md, "ComfyUI"). Here it always does.
    const send = (type: string, data: Record<string, unknown>): void => {
      if (toRun.length > 0) this.sendText(sid, promptId, type, { ...data, prompt_id: promptId })
    }
    const executed: string[] = []
    const started = Date.now()
    const messages: unknown[] = [
      ['execution_start', { prompt_id: promptId, timestamp: started }],
      ['execution_cached', { nodes: cached, prompt_id: promptId, timestamp: started }]
    ]
    send('execution_start', { timestamp: started })
    send('execution_cached', { nodes: cached, timestamp: started })

    const end = async (
      status: 'success' | 'error',
      outputs: Record<string, unknown>,
      event: [string, Record<string, unknown>]
    ): Promise<void> => {
      messages.push([event[0], { prompt_id: promptId, ...event[1], timestamp: Date.now() }])
      send(event[0], { ...event[1], timestamp: Date.now() })
      item.node = undefined
      // The executor's last frame goes out before prompt_worker's task_done writes the history.
      await nextTurn()
      if (this.closing.signal.aborted) return
      this.cache = new Set([...cached, ...executed].map((id) => signatures.get(id)!))
      this.finish(item, status, outputs, messages)
      send('executing', { node: null })
    }
    const interrupted = async (node: string): Promise<void> => {
      if (this.closing.signal.aborted) return
      this.interruptedIds.push(promptId)
      await end('error', {}, ['execution_interrupted', { node_id: node, node_type: item.graph[node]!.class_type, executed: [...executed] }])
    }

    if (!toRun.some((id) => EDIT_SHAPES[item.graph[id]!.class_type] !== undefined) && !(await this.pause(this.latencyMs, signal)))
      return interrupted(order.at(-1)!)
    const outputs: Record<string, unknown> = {}
    for (const id of toRun) {
      const node = item.graph[id]!
      item.node = id
      send('executing', { node: id, display_node: id })
      const shape = EDIT_SHAPES[node.class_type]
      if (shape !== undefined) {
        if (item.fault?.kind === 'execution-error') {
          return end('error', {}, [
            'execution_error',
            {
              node_id: id,
              node_type: node.class_type,
              executed: [...executed],
              exception_message: item.fault.exceptionMessage ?? 'Expected all tensors to be on the same device',
              exception_type: item.fault.exceptionType ?? 'RuntimeError',
              traceback: ['  File "execution.py", line 1, in execute\n'],
              current_inputs: {},
              current_outputs: []
            }
          ])
        }
        const steps = shape.steps(item.graph, id)
        const stallAt = item.fault?.kind === 'stall' ? (item.fault.atStep ?? 0) : undefined
        if (stallAt === 0 && !(await this.hold(promptId, signal))) return interrupted(id)
        for (let step = 1; step <= steps; step += 1) {
          if (!(await this.pause(this.latencyMs / steps, signal))) return interrupted(id)
          send('progress', { value: step, max: steps, node: id })
          send('progress_state', {
            nodes: {
              [id]: {
                value: step,
                max: steps,
                state: 'running',
                node_id: id,
                prompt_id: promptId,
                display_node_id: id,
                parent_node_id: null,
                real_node_id: id
              }
            }
          })
          if (step % 5 === 0) this.sendPreview(sid, promptId)
          if (step === stallAt && !(await this.hold(promptId, signal))) return interrupted(id)
        }
      }
      if (SCHEMAS[node.class_type]!.outputNode === true) {
        outputs[id] = this.render(item, node)
        send('executed', { node: id, display_node: id, output: outputs[id] })
      }
      executed.push(id)
    }
    // Cached output nodes answer with their outputs from before; the fake renders them again.
    for (const id of item.outputs) outputs[id] ??= this.render(item, item.graph[id]!)
    return end('success', outputs, ['execution_success', {}])
  }

  /** An output node's image: a PNG at the graph's size, seeded by the sampler's seed. */
  private render(item: QueueItem, node: FakeNode): { images: Array<{ filename: string; subfolder: string; type: string }> } {
    const sampler = samplersOf(item.graph)[0]
    const seed = (sampler === undefined ? 0 : EDIT_SHAPES[item.graph[sampler]!.class_type]!.seed(item.graph, sampler)) >>> 0
    const png = makePng(item.output.width, item.output.height, seed + 1)
    this.outputCounter += 1
    const saved = node.class_type === 'SaveImage'
    const prefix = saved ? String(node.inputs.filename_prefix) : 'ComfyUI_temp'
    const slash = prefix.lastIndexOf('/')
    const subfolder = slash < 0 ? '' : prefix.slice(0, slash)
    const filename = `${slash < 0 ? prefix : prefix.slice(slash + 1)}_${String(this.outputCounter).padStart(5, '0')}_.png`
    const type = saved ? 'output' : 'temp'
    this.outputFiles.set(`${type}/${subfolder}/${filename}`, png)
    return { images: [{ filename, subfolder, type }] }
  }

  private finish(item: QueueItem, status: 'success' | 'error', outputs: Record<string, unknown>, messages: unknown[]): void {
    this.history.set(item.promptId, {
      prompt: [item.number, item.promptId, item.graph, item.extraData, item.outputs],
      outputs,
      // execution.py task_done: `status` is Optional, stored as null when a caller passes none.
      status: item.fault?.kind === 'status-null' ? null : { status_str: status, completed: status === 'success', messages },
      meta: Object.fromEntries(
        Object.keys(outputs).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }])
      )
    })
  }

  // --- queue, interrupt, history, view --------------------------------------------------------

  private queueItem(item: QueueItem): unknown[] {
    return [item.number, item.promptId, item.graph, item.extraData, item.outputs]
  }

  private getQueue(): FakeReply {
    return json(200, {
      queue_running: this.running === undefined ? [] : [this.queueItem(this.running)],
      queue_pending: this.pending.map((item) => this.queueItem(item))
    })
  }

  private postQueue(body: unknown): FakeReply {
    if (!isRecord(body)) return text(400, 'fake: POST /queue takes {"delete":[...]} or {"clear":true}')
    const unknown = Object.keys(body).filter((key) => key !== 'delete' && key !== 'clear')
    if (unknown.length > 0) return text(400, `fake: unknown key(s) ${unknown.join(', ')}`)
    if (body.clear === true) this.pending.splice(0)
    if (body.delete !== undefined) {
      if (!Array.isArray(body.delete) || !body.delete.every((id) => typeof id === 'string'))
        return text(400, 'fake: delete must be a list of prompt ids')
      for (const id of body.delete) {
        this.deleted.push(id)
        const index = this.pending.findIndex((item) => item.promptId === id)
        if (index >= 0) this.pending.splice(index, 1)
      }
    }
    this.broadcastStatus()
    return { kind: 'raw', status: 200, contentType: 'text/plain', body: '' }
  }

  private interrupt(body: unknown): FakeReply {
    if (body !== null && !isRecord(body)) return text(400, 'fake: POST /interrupt takes no body or {"prompt_id": ...}')
    const promptId = isRecord(body) && typeof body.prompt_id === 'string' ? body.prompt_id : null
    this.interruptCalls.push(promptId)
    // Newer builds interrupt only the named prompt when it is the running one; a bare call stops whatever runs.
    if (this.running !== undefined && (promptId === null || promptId === this.running.promptId)) this.running.interrupt.abort()
    return { kind: 'raw', status: 200, contentType: 'text/plain', body: '' }
  }

  private postHistory(body: unknown): FakeReply {
    if (!isRecord(body)) return text(400, 'fake: POST /history takes {"delete":[...]} or {"clear":true}')
    if (body.clear === true) this.history.clear()
    if (Array.isArray(body.delete)) for (const id of body.delete) this.history.delete(String(id))
    return { kind: 'raw', status: 200, contentType: 'text/plain', body: '' }
  }

  private getHistory(promptId: string): FakeReply {
    const fault = this.takeFault(['history-malformed', 'history-500'])
    if (fault?.kind === 'history-malformed') return { kind: 'raw', status: 200, contentType: 'application/json', body: '{"' }
    if (fault?.kind === 'history-500') return text(500, '500 Internal Server Error')
    const entry = this.history.get(promptId)
    return json(200, entry === undefined ? {} : { [promptId]: entry })
  }

  private view(query: Record<string, string>): FakeReply {
    const filename = query.filename
    if (filename === undefined || filename === '') return text(400, '')
    if (filename.startsWith('/') || filename.includes('..')) return text(400, '')
    const type = query.type ?? 'output'
    const subfolder = query.subfolder ?? ''
    const bytes =
      type === 'input'
        ? this.inputFiles.get(subfolder === '' ? filename : `${subfolder}/${filename}`)?.bytes
        : this.outputFiles.get(`${type}/${subfolder}/${filename}`)
    const fault = bytes === undefined ? undefined : this.takeFault(['view-missing', 'truncated-image'])
    if (bytes === undefined || fault?.kind === 'view-missing') return text(404, '404: Not Found')
    const body = fault?.kind === 'truncated-image' ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes
    return { kind: 'raw', status: 200, contentType: 'image/png', body }
  }
}

// ---------------------------------------------------------------------------------------------
// Graph checks
// ---------------------------------------------------------------------------------------------

function linkNode(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined
}

function findCycle(nodes: Record<string, FakeNode>): string | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (id: string): string | undefined => {
    if (state.get(id) === 'done') return undefined
    if (state.get(id) === 'visiting') return id
    state.set(id, 'visiting')
    for (const value of Object.values(nodes[id]?.inputs ?? {})) {
      const from = linkNode(value)
      const found = from === undefined ? undefined : visit(from)
      if (found !== undefined) return found
    }
    state.set(id, 'done')
    return undefined
  }
  for (const id of Object.keys(nodes)) {
    const found = visit(id)
    if (found !== undefined) return found
  }
  return undefined
}

/** Nodes that make an empty latent of their width × height; the fake renders at that size. */
const EMPTY_LATENTS: ReadonlySet<string> = new Set(['EmptySD3LatentImage', 'EmptyFlux2LatentImage'])

/** The class of `nodes[id]`, when `value` links to it. */
function linkedClass(nodes: Record<string, FakeNode>, value: unknown): string | undefined {
  const from = linkNode(value)
  return from === undefined ? undefined : nodes[from]?.class_type
}

/**
 * The LoadImages behind a chain of ReferenceLatent nodes: each one's latent must be a VAEEncode of
 * a [`scale` of a] LoadImage, and every LoadImage of the graph must be behind one.
 */
function referenceLoads(nodes: Record<string, FakeNode>, references: readonly string[], scale: string): string | undefined {
  const loads = new Set<string>()
  for (const reference of references) {
    const encode = linkNode(nodes[reference]!.inputs.latent)
    if (encode === undefined || nodes[encode]!.class_type !== 'VAEEncode') return `ReferenceLatent ${reference} has no VAEEncode latent`
    let pixels = linkNode(nodes[encode]!.inputs.pixels)
    if (pixels !== undefined && nodes[pixels]!.class_type === scale) pixels = linkNode(nodes[pixels]!.inputs.image)
    if (pixels === undefined || nodes[pixels]!.class_type !== 'LoadImage') return `VAEEncode ${encode} does not encode a LoadImage`
    loads.add(pixels)
  }
  const stray = Object.keys(nodes).find((id) => nodes[id]!.class_type === 'LoadImage' && !loads.has(id))
  return stray === undefined ? undefined : `LoadImage ${stray} is not in the ReferenceLatent chain`
}

/** The ReferenceLatent nodes from `from` down the conditioning inputs, and the first node that is not one. */
function referenceChain(nodes: Record<string, FakeNode>, from: string | undefined): { references: string[]; next: string | undefined } {
  const references: string[] = []
  let current = from
  while (current !== undefined && nodes[current]!.class_type === 'ReferenceLatent') {
    references.push(current)
    current = linkNode(nodes[current]!.inputs.conditioning)
  }
  return { references, next: current }
}

/**
 * The Kontext edit shape (docs/hosts.md, "ComfyUI"; docs/comfyui.md): the KSampler's positive comes from FluxGuidance (optionally
 * through FluxKontextMultiReferenceLatentMethod), over a chain of ReferenceLatent nodes down to a
 * CLIPTextEncode; each ReferenceLatent's latent is a VAEEncode of a [FluxKontextImageScale of a]
 * LoadImage; every LoadImage is in such a chain.
 */
function checkKontext(nodes: Record<string, FakeNode>, samplerId: string): { latentFrom: string } | string {
  if (!Object.values(nodes).some((node) => node.class_type === 'UNETLoader')) return 'no UNETLoader'
  const sampler = nodes[samplerId]!
  let current = linkNode(sampler.inputs.positive)
  if (current !== undefined && nodes[current]!.class_type === 'FluxKontextMultiReferenceLatentMethod')
    current = linkNode(nodes[current]!.inputs.conditioning)
  if (current === undefined || nodes[current]!.class_type !== 'FluxGuidance') return 'KSampler.positive does not come from FluxGuidance'
  const { references, next } = referenceChain(nodes, linkNode(nodes[current]!.inputs.conditioning))
  if (next === undefined || nodes[next]!.class_type !== 'CLIPTextEncode') return 'the conditioning chain does not start at a CLIPTextEncode'
  if (references.length === 0) return 'no ReferenceLatent between the CLIPTextEncode and FluxGuidance'
  const chainProblem = referenceLoads(nodes, references, 'FluxKontextImageScale')
  if (chainProblem !== undefined) return chainProblem
  const latentFrom = linkNode(sampler.inputs.latent_image)
  if (latentFrom === undefined) return 'KSampler.latent_image is not linked'
  return { latentFrom }
}

/** What the FLUX.2 template's SamplerCustomAdvanced reads each input from (templates/image_flux2.json). */
const FLUX2_SAMPLER_INPUTS: Readonly<Record<string, string>> = {
  noise: 'RandomNoise',
  guider: 'BasicGuider',
  sampler: 'KSamplerSelect',
  sigmas: 'Flux2Scheduler',
  latent_image: 'EmptyFlux2LatentImage'
}

/**
 * The FLUX.2 [dev] edit of Comfy-Org's template (templates/image_flux2.json, "Image Edit (Flux.2
 * Dev)"): SamplerCustomAdvanced over RandomNoise, BasicGuider, KSamplerSelect, Flux2Scheduler and
 * EmptyFlux2LatentImage; the guider's conditioning is a chain of ReferenceLatent nodes over
 * FluxGuidance over a CLIPTextEncode; each ReferenceLatent's latent is a VAEEncode of an
 * [ImageScaleToTotalPixels of a] LoadImage; every LoadImage is in such a chain; the scheduler is
 * sized as the latent (the template feeds both from one GetImageSize).
 */
function checkFlux2(nodes: Record<string, FakeNode>, samplerId: string): { latentFrom: string } | string {
  if (!Object.values(nodes).some((node) => node.class_type === 'UNETLoader')) return 'no UNETLoader'
  const sampler = nodes[samplerId]!
  for (const [input, type] of Object.entries(FLUX2_SAMPLER_INPUTS))
    if (linkedClass(nodes, sampler.inputs[input]) !== type) return `SamplerCustomAdvanced.${input} does not come from ${type}`
  const guider = nodes[linkNode(sampler.inputs.guider)!]!
  const { references, next } = referenceChain(nodes, linkNode(guider.inputs.conditioning))
  if (references.length === 0) return 'BasicGuider.conditioning does not come from a ReferenceLatent'
  if (next === undefined || nodes[next]!.class_type !== 'FluxGuidance') return 'the ReferenceLatent chain does not start at a FluxGuidance'
  if (linkedClass(nodes, nodes[next]!.inputs.conditioning) !== 'CLIPTextEncode') return 'FluxGuidance does not read a CLIPTextEncode'
  const chainProblem = referenceLoads(nodes, references, 'ImageScaleToTotalPixels')
  if (chainProblem !== undefined) return chainProblem
  const latentFrom = linkNode(sampler.inputs.latent_image)!
  const latent = nodes[latentFrom]!.inputs
  const scheduler = nodes[linkNode(sampler.inputs.sigmas)!]!.inputs
  if (scheduler.width !== latent.width || scheduler.height !== latent.height)
    return `Flux2Scheduler is sized ${String(scheduler.width)}x${String(scheduler.height)} but the latent ${String(latent.width)}x${String(latent.height)}`
  return { latentFrom }
}

/** One edit the fake runs, known by its sampler's class. */
interface EditShape {
  /** The 400's error type when the graph around the sampler is not this edit. */
  refusal: string
  /** The node the sampler's latent comes from, or what is wrong with the graph. */
  check(nodes: Record<string, FakeNode>, sampler: string): { latentFrom: string } | string
  /** The sampler's steps and seed as the run uses them. */
  steps(nodes: Record<string, FakeNode>, sampler: string): number
  seed(nodes: Record<string, FakeNode>, sampler: string): number
}

/** KSampler holds its steps and seed; SamplerCustomAdvanced reads them from its scheduler and noise (nodes_custom_sampler.py). */
const EDIT_SHAPES: Readonly<Record<string, EditShape>> = {
  KSampler: {
    refusal: 'fake_not_kontext',
    check: checkKontext,
    steps: (nodes, sampler) => Number(nodes[sampler]!.inputs.steps),
    seed: (nodes, sampler) => Number(nodes[sampler]!.inputs.seed)
  },
  SamplerCustomAdvanced: {
    refusal: 'fake_not_flux2',
    check: checkFlux2,
    steps: (nodes, sampler) => Number(nodes[linkNode(nodes[sampler]!.inputs.sigmas)!]!.inputs.steps),
    seed: (nodes, sampler) => Number(nodes[linkNode(nodes[sampler]!.inputs.noise)!]!.inputs.noise_seed)
  }
}

function samplersOf(nodes: Record<string, FakeNode>): string[] {
  return Object.keys(nodes).filter((id) => EDIT_SHAPES[nodes[id]!.class_type] !== undefined)
}

/** The nodes the outputs need, each after its inputs (execution.py's order for a graph without branches). */
function executionOrder(nodes: Record<string, FakeNode>, outputs: readonly string[]): string[] {
  const order: string[] = []
  const seen = new Set<string>()
  const visit = (id: string): void => {
    if (seen.has(id)) return
    seen.add(id)
    for (const value of Object.values(nodes[id]!.inputs)) {
      const from = linkNode(value)
      if (from !== undefined) visit(from)
    }
    order.push(id)
  }
  outputs.forEach(visit)
  return order
}

/** ComfyUI's cache key: the node's class and inputs, with each link replaced by its source's key. */
function nodeSignatures(nodes: Record<string, FakeNode>): Map<string, string> {
  const signatures = new Map<string, string>()
  const signature = (id: string): string => {
    const known = signatures.get(id)
    if (known !== undefined) return known
    const node = nodes[id]!
    const inputs = Object.keys(node.inputs)
      .sort()
      .map((name) => {
        const value = node.inputs[name]
        const from = linkNode(value)
        return [name, from === undefined ? value : [signature(from), (value as unknown[])[1]]]
      })
    const digest = createHash('sha256')
      .update(JSON.stringify([node.class_type, inputs]))
      .digest('hex')
    signatures.set(id, digest)
    return digest
  }
  Object.keys(nodes).forEach(signature)
  return signatures
}

/** What `websocket: 'garbage'` sends instead of a text frame: none of it is a frame as server.py sends. */
function garbageText(promptId: string): string[] {
  return [
    '{"type": "progress", "data": {"value": 3',
    'not json at all',
    'null',
    '[]',
    '"progress"',
    JSON.stringify({ type: 'progress' }),
    JSON.stringify({ data: { value: 1, max: 20, prompt_id: promptId } }),
    JSON.stringify({ type: 'progress', data: { value: '5', max: 20, prompt_id: promptId, node: '31' } }),
    JSON.stringify({ type: 'progress', data: { value: 30, max: 20, prompt_id: promptId, node: '31' } }),
    JSON.stringify({ type: 'progress', data: { value: -1, max: 20, prompt_id: promptId, node: '31' } }),
    JSON.stringify({ type: 'progress', data: { value: 1, max: 0, prompt_id: promptId, node: '31' } }),
    JSON.stringify({ type: 'progress', data: { value: 1, max: 20, prompt_id: 42, node: '31' } }),
    JSON.stringify({ type: 'executing', data: { node: '31', prompt_id: null } }),
    JSON.stringify({ type: 'execution_success', data: 'done' }),
    // Well formed, and false: the prompt is said to have finished while it runs.
    JSON.stringify({ type: 'executing', data: { node: null, prompt_id: promptId } })
  ]
}

/** Instead of a preview: shorter than the 8-byte header, and an unknown event type. */
const GARBAGE_BINARY = [new Uint8Array([0, 0, 0]), new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 1, 2, 3])]

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

function stringField(form: FormData, name: string): string | undefined {
  const value = form.get(name)
  return typeof value === 'string' ? value : undefined
}

function describeForm(form: FormData): RecordedRequest['form'] {
  const out: NonNullable<RecordedRequest['form']> = {}
  for (const [key, value] of form.entries())
    out[key] = typeof value === 'string' ? value : { filename: value.name, type: value.type, size: value.size }
  return out
}
