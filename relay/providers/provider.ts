import type { KontextSizeSpec } from '../../shared/aspect-ratios'
import type { KontextRatio } from '../../shared/aspect-ratios'
import type { ModelId, ModelOffer, ProviderId } from '../../shared/models'
import type { EditRequest, ImageContentType } from '../../shared/relay-api'
import type { HostConfig } from '../config'

export interface ReferenceImage {
  bytes: Uint8Array
  contentType: ImageContentType
  width: number
  height: number
}

export interface ProviderProgress {
  status: 'queued' | 'running'
  /** 0–1 where the host reports it. */
  fraction?: number
}

export interface ProviderEditInput {
  /** Already checked against `offer`: only what the host supports is set. */
  request: EditRequest
  model: ModelId
  /** The host's ids and limits for the model (catalogue + this relay's overrides). */
  offer: ModelOffer
  /** The output size: the one of `offer.sizes` nearest to the chosen ratio or the first reference. */
  size: KontextSizeSpec
  /** The nearest of the nine ratio names (21:9 … 9:21), for hosts that take a ratio. */
  aspectRatio: KontextRatio
  references: ReferenceImage[]
  /** Aborted when the client cancels or the deadline passes; adapters that can, cancel at the host. */
  signal: AbortSignal
  onProgress: (progress: ProviderProgress) => void
}

export interface ProviderImage {
  bytes: Uint8Array
  seed: number | undefined
}

export interface ProviderResult {
  images: ProviderImage[]
  /** USD as reported by the host; undefined when it reports none. */
  costUsd: number | undefined
  /** The host's job handle(s), for the operator's log. */
  hostJobId: string
}

/**
 * One adapter per host. It maps the common request onto the host's wire format through data,
 * follows the job to its end, downloads the results at once, and throws AppError with a relay
 * code (the host's own text goes in `detail`, for the log only).
 */
export interface Provider {
  readonly id: ProviderId
  editAsync(input: ProviderEditInput): Promise<ProviderResult>
}

export interface ProviderDeps {
  fetch: typeof fetch
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  randomUUID: () => string
  now: () => number
  log: (event: string, fields: Record<string, unknown>) => void
}

export type ProviderFactory = (host: HostConfig, deps: ProviderDeps) => Provider
