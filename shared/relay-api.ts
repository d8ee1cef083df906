import * as z from 'zod'
import { AspectRatio } from './aspect-ratios'
import { RelayErrorInfo } from './errors'
import { MAX_VARIANTS, PROMPT_MAX_CHARS, PROMPT_MIN_CHARS, SAFETY_TOLERANCE_MAX, SEED_MAX } from './limits'
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
export const EditRequest = z
  .object({
    prompt: z
      .string()
      .trim()
      .min(PROMPT_MIN_CHARS, `The instruction needs at least ${PROMPT_MIN_CHARS} characters.`)
      .max(PROMPT_MAX_CHARS, `The instruction can have at most ${PROMPT_MAX_CHARS} characters.`),
    provider: ProviderId.optional(),
    model: ModelId.default(DEFAULT_MODEL),
    aspectRatio: AspectRatio.default('auto'),
    numImages: z.number().int().min(1).max(MAX_VARIANTS).default(1),
    seed: z.number().int().min(0).max(SEED_MAX).optional(),
    outputFormat: OutputFormat.default('png'),
    promptUpsampling: z.boolean().optional(),
    safetyTolerance: z.number().int().min(0).max(SAFETY_TOLERANCE_MAX).optional(),
    guidance: z.number().min(0).max(100).optional(),
    steps: z.number().int().min(1).max(100).optional(),
    outputQuality: z.number().int().min(0).max(100).optional()
  })
  .strict()
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
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  seed: z.number().int().nonnegative().optional(),
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
  error: RelayErrorInfo.optional(),
  /** USD: as the host reported it, or the catalogue's price when `costEstimated`. */
  cost: z.number().nonnegative().optional(),
  costEstimated: z.boolean().optional(),
  /** 0–1 while running, where the host reports progress. */
  progress: z.number().min(0).max(1).optional(),
  /** Seconds until the relay forgets this job and its images. */
  expiresInSeconds: z.number().int().nonnegative()
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
  defaultProvider: ProviderId.nullable(),
  providers: z.array(z.object({ id: ProviderId, name: z.string(), configured: z.boolean(), models: z.array(ModelId) })),
  models: z.array(z.object({ id: ModelId, name: z.string(), priceUsd: z.number() }))
})
export type Health = z.infer<typeof Health>

const Range = z.object({ min: z.number(), max: z.number(), default: z.number() })

/** What one enabled host offers of one model: the panel offers only these settings. */
export const ModelCapabilities = z.object({
  id: ModelId,
  name: z.string(),
  priceUsd: z.number().nonnegative(),
  maxReferences: z.number().int().positive(),
  maxVariants: z.number().int().positive(),
  outputFormats: z.array(OutputFormat).min(1),
  safetyTolerance: Range.nullable(),
  promptUpsampling: z.boolean(),
  guidance: Range.nullable(),
  steps: Range.nullable(),
  outputQuality: Range.nullable(),
  seedMax: z.number().int().positive()
})
export type ModelCapabilities = z.infer<typeof ModelCapabilities>

/** `GET /v1/models`: every host this relay knows, whether it is enabled, and its models. */
export const ModelsResponse = z.object({
  defaultProvider: ProviderId.nullable(),
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
  edits: z.number().int().nonnegative(),
  /** Images delivered that day. */
  images: z.number().int().nonnegative(),
  /** USD of finished edits: the host's reported cost, or the catalogue's price where it reports none. */
  spentUsd: z.number().nonnegative(),
  /** USD held for edits still running (their catalogue price until they finish). */
  reservedUsd: z.number().nonnegative(),
  /** null when the owner has no daily budget. */
  dailyBudgetUsd: z.number().nonnegative().nullable(),
  /** What is left of the budget: dailyBudgetUsd − spentUsd − reservedUsd, never below 0; null without a budget. */
  remainingUsd: z.number().nonnegative().nullable(),
  /** Edits a minute the owner's token may start; null for an owner no token names any more. */
  requestsPerMinute: z.number().int().positive().nullable()
})
export type OwnerUsage = z.infer<typeof OwnerUsage>

/** `GET /v1/usage[?day=YYYY-MM-DD]`: the caller's own use; an operator token sees every owner. */
export const UsageResponse = z.object({
  /** The UTC day, YYYY-MM-DD (today unless `?day=` asked for another). */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** When that day's budgets start again (the next UTC midnight), ISO 8601. */
  resetsAt: z.string(),
  /** Whether the caller sees every owner (operator) or only itself. */
  scope: z.enum(['own', 'all']),
  owners: z.array(OwnerUsage)
})
export type UsageResponse = z.infer<typeof UsageResponse>
