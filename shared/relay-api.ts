import * as z from 'zod/mini'
import { AspectRatio, KONTEXT_SIZES } from './aspect-ratios'
import { RelayErrorInfo } from './errors'
import {
  KONTEXT_MAX_INPUT_PIXELS,
  MAX_VARIANTS,
  PROMPT_MAX_CHARS,
  PROMPT_MIN_CHARS,
  REFERENCE_TARGET_PIXELS,
  SAFETY_TOLERANCE_MAX,
  SEED_MAX
} from './limits'
import { DEFAULT_MODEL, ModelId, ProviderId } from './models'

/**
 * The relay's HTTP API, shared by the relay, the plugin UI and the command-line client.
 * Documented in docs/relay-api.md; keep both in step.
 */
export const API_VERSION = 1

export const ROUTES = {
  health: '/v1/health',
  edits: '/v1/edits',
  models: '/v1/models',
  usage: '/v1/usage',
  edit: (id: string) => `/v1/edits/${encodeURIComponent(id)}`,
  image: (id: string, index: number) => `/v1/edits/${encodeURIComponent(id)}/images/${index}`
} as const

/** The image formats a result can have; the catalogue's offers (models.ts) list theirs from these. */
export const OutputFormat = z.enum(['png', 'jpeg', 'webp'])
export type OutputFormat = z.infer<typeof OutputFormat>

/**
 * The `request` part of `POST /v1/edits`. Only `prompt` is required. Settings a host lacks must be
 * left out (the relay answers 400 naming what the chosen host and model support); GET /v1/models
 * lists each host's capabilities.
 */
export const EditRequest = z.strictObject({
  prompt: z
    .string()
    .check(
      z.trim(),
      z.minLength(PROMPT_MIN_CHARS, `The instruction needs at least ${PROMPT_MIN_CHARS} characters.`),
      z.maxLength(PROMPT_MAX_CHARS, `The instruction can have at most ${PROMPT_MAX_CHARS} characters.`)
    ),
  provider: z.optional(ProviderId),
  model: z._default(ModelId, DEFAULT_MODEL),
  aspectRatio: z._default(AspectRatio, 'auto'),
  numImages: z._default(z.int().check(z.minimum(1), z.maximum(MAX_VARIANTS)), 1),
  seed: z.optional(z.int().check(z.minimum(0), z.maximum(SEED_MAX))),
  outputFormat: z._default(OutputFormat, 'png'),
  promptUpsampling: z.optional(z.boolean()),
  safetyTolerance: z.optional(z.int().check(z.minimum(0), z.maximum(SAFETY_TOLERANCE_MAX))),
  guidance: z.optional(z.number().check(z.minimum(0), z.maximum(100))),
  steps: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
  outputQuality: z.optional(z.int().check(z.minimum(0), z.maximum(100)))
})
export type EditRequest = z.infer<typeof EditRequest>
export type EditRequestInput = z.input<typeof EditRequest>

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled'])
export type JobStatus = z.infer<typeof JobStatus>
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled']

export const ImageContentType = z.enum(['image/png', 'image/jpeg', 'image/webp'])
export type ImageContentType = z.infer<typeof ImageContentType>

export const EditImage = z.object({
  /** Path on the relay, relative to its base URL: `/v1/edits/{id}/images/{n}`. */
  url: z.string(),
  width: z.int().check(z.positive()),
  height: z.int().check(z.positive()),
  seed: z.optional(z.int().check(z.nonnegative())),
  contentType: ImageContentType
})
export type EditImage = z.infer<typeof EditImage>

export const EditJob = z.object({
  id: z.string(),
  status: JobStatus,
  provider: ProviderId,
  model: ModelId,
  createdAt: z.string(),
  updatedAt: z.string(),
  images: z.array(EditImage),
  error: z.optional(RelayErrorInfo),
  /** USD: as the host reported it, or the catalogue's price when `costEstimated`. */
  cost: z.optional(z.number().check(z.nonnegative())),
  costEstimated: z.optional(z.boolean()),
  /** 0–1 while running, where the host reports progress. */
  progress: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  /** Seconds until the relay forgets this job and its images. */
  expiresInSeconds: z.int().check(z.nonnegative())
})
export type EditJob = z.infer<typeof EditJob>

export const EditCreated = z.object({ id: z.string(), status: JobStatus })
export type EditCreated = z.infer<typeof EditCreated>

export const ErrorBody = z.object({ error: RelayErrorInfo })
export type ErrorBody = z.infer<typeof ErrorBody>

export const Health = z.object({
  status: z.literal('ok'),
  apiVersion: z.literal(API_VERSION),
  /** Whether the Authorization header sent with this request holds a valid token. */
  auth: z.enum(['valid', 'invalid', 'missing']),
  defaultProvider: z.nullable(ProviderId),
  providers: z.array(z.object({ id: ProviderId, name: z.string(), configured: z.boolean(), models: z.array(ModelId) })),
  models: z.array(z.object({ id: ModelId, name: z.string(), priceUsd: z.number() }))
})
export type Health = z.infer<typeof Health>

const Range = z.object({ min: z.number(), max: z.number(), default: z.number() })

const Usd = z.number().check(z.nonnegative())
const Side = z.int().check(z.positive())

/** The catalogue's `Price`: per image, its first output megapixel, each further one, each reference megapixel. */
export const PriceInfo = z.object({ firstMpUsd: Usd, extraMpUsd: Usd, inputMpUsd: Usd })

/** The catalogue's `OutputSizes`: Kontext's fixed list, or FLUX.2's free sizes on a grid within a budget. */
export const OutputSizesInfo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), sizes: z.array(z.object({ width: Side, height: Side })).check(z.minLength(1)) }),
  z.object({ kind: z.literal('free'), step: Side, minSide: Side, maxSide: Side, maxPixels: Side })
])

/**
 * What one enabled host offers of one model: the panel offers only these settings. A relay older
 * than FLUX.2 (same API version) sends no price rule, sizes or reference sizes; its models are
 * all Kontext, so the panel takes Kontext's (a team's relay may be updated after its designers).
 */
export const ModelCapabilities = z.pipe(
  z.object({
    id: ModelId,
    name: z.string(),
    /** A one-megapixel edit of a one-megapixel reference, for a glance; `price` is the rule. */
    priceUsd: Usd,
    price: z.optional(PriceInfo),
    output: z.optional(OutputSizesInfo),
    /** The reference size the model makes use of: the plugin exports each one at about this many pixels. */
    referencePixels: z.optional(Side),
    /** The most reference pixels it takes in all: several references share it. */
    maxInputPixels: z.optional(Side),
    maxReferences: z.int().check(z.positive()),
    maxVariants: z.int().check(z.positive()),
    outputFormats: z.array(OutputFormat).check(z.minLength(1)),
    safetyTolerance: z.nullable(Range),
    promptUpsampling: z.boolean(),
    guidance: z.nullable(Range),
    steps: z.nullable(Range),
    outputQuality: z.nullable(Range),
    seedMax: z.int().check(z.positive())
  }),
  z.transform(({ price, output, referencePixels, maxInputPixels, ...rest }) => ({
    ...rest,
    price: price ?? { firstMpUsd: rest.priceUsd, extraMpUsd: 0, inputMpUsd: 0 },
    output: output ?? { kind: 'fixed' as const, sizes: KONTEXT_SIZES.map(({ width, height }) => ({ width, height })) },
    referencePixels: referencePixels ?? REFERENCE_TARGET_PIXELS,
    maxInputPixels: maxInputPixels ?? KONTEXT_MAX_INPUT_PIXELS
  }))
)
export type ModelCapabilities = z.output<typeof ModelCapabilities>

/** `GET /v1/models`: every host this relay knows, whether it is enabled, and its models. */
export const ModelsResponse = z.object({
  defaultProvider: z.nullable(ProviderId),
  providers: z.array(
    z.object({ id: ProviderId, name: z.string(), configured: z.boolean(), cancel: z.boolean(), models: z.array(ModelCapabilities) })
  )
})
export type ModelsResponse = z.infer<typeof ModelsResponse>

/** Largest `?wait=` a client may ask of `GET /v1/edits/{id}`, in seconds. */
export const MAX_WAIT_SECONDS = 25

/** One owner's use of the relay on one UTC day, in `GET /v1/usage`. */
export const OwnerUsage = z.object({
  /** The owner named in the tokens file (`token-…` for a token from RELAY_TOKENS). Never a token. */
  owner: z.string(),
  /** Edits started that day, whatever their outcome. */
  edits: z.int().check(z.nonnegative()),
  /** Images delivered that day. */
  images: z.int().check(z.nonnegative()),
  /** USD of finished edits: the host's reported cost, or the catalogue's price where it reports none. */
  spentUsd: z.number().check(z.nonnegative()),
  /** USD held for edits still running (their catalogue price until they finish). */
  reservedUsd: z.number().check(z.nonnegative()),
  /** null when the owner has no daily budget. */
  dailyBudgetUsd: z.nullable(z.number().check(z.nonnegative())),
  /** What is left of the budget: dailyBudgetUsd − spentUsd − reservedUsd, never below 0; null without a budget. */
  remainingUsd: z.nullable(z.number().check(z.nonnegative())),
  /** Edits a minute the owner's token may start; null for an owner no token names any more. */
  requestsPerMinute: z.nullable(z.int().check(z.positive()))
})
export type OwnerUsage = z.infer<typeof OwnerUsage>

/** `GET /v1/usage[?day=YYYY-MM-DD]`: the caller's own use; an operator token sees every owner. */
export const UsageResponse = z.object({
  /** The UTC day, YYYY-MM-DD (today unless `?day=` asked for another). */
  day: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  /** When that day's budgets start again (the next UTC midnight), ISO 8601. */
  resetsAt: z.string(),
  /** Whether the caller sees every owner (operator) or only itself. */
  scope: z.enum(['own', 'all']),
  owners: z.array(OwnerUsage)
})
export type UsageResponse = z.infer<typeof UsageResponse>
