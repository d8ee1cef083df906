import * as z from 'zod'
import { RelayErrorInfo } from '../../shared/errors'
import { ModelId, ProviderId } from '../../shared/models'
import { ImageContentType, JobStatus } from '../../shared/relay-api'

/** What the relay knows of one result image; its bytes are kept by the store beside the job. */
export const StoredImage = z.object({
  contentType: ImageContentType,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  seed: z.number().int().nonnegative().optional(),
  /** Size of the bytes, for the operator (and a check when they are read back). */
  byteLength: z.number().int().nonnegative()
})
export type StoredImage = z.infer<typeof StoredImage>

/**
 * A job as the store keeps it: plain JSON, no bytes, no token. Stores may copy it; nobody mutates
 * one in place (every change is a new record put whole).
 */
export const JobRecord = z.object({
  id: z.string(),
  /** The owner of the token that created the job (tokens file), or a digest of the token; other tokens cannot see it. */
  owner: z.string(),
  status: JobStatus,
  provider: ProviderId,
  model: ModelId,
  createdAt: z.number(),
  updatedAt: z.number(),
  expiresAt: z.number(),
  /** Variants asked for. */
  numImages: z.number().int().positive(),
  /** The catalogue price of those variants: what the ledger holds until the job ends. */
  reservedUsd: z.number().nonnegative(),
  images: z.array(StoredImage),
  error: z.optional(RelayErrorInfo),
  costUsd: z.number().nonnegative().optional(),
  /** True when the host reported no cost and `costUsd` is the catalogue's price. */
  costEstimated: z.boolean(),
  /** 0–1 while running, where the host reports it. */
  progress: z.number().min(0).max(1).optional(),
  /** The host's job handle(s), for the operator's log. */
  hostJobId: z.string().optional(),
  /**
   * True while a job its owner canceled still runs at a host that cannot stop it (the catalogue's
   * `cancel: false`): its price stays reserved, and its images are kept when the host delivers.
   */
  hostRunning: z.boolean().optional()
})
export type JobRecord = z.infer<typeof JobRecord>
