import type { KontextSize } from '../../shared/aspect-ratios'
import type { ModelId, ProviderId } from '../../shared/models'
import type { EditRequest, ImageContentType } from '../../shared/relay-api'

export interface ReferenceImage {
  bytes: Uint8Array
  contentType: ImageContentType
  width: number
  height: number
}

export interface ProviderEditInput {
  request: EditRequest
  model: ModelId
  /** The host's own id for the model, from the catalogue. */
  hostModelId: string
  size: KontextSize
  references: ReferenceImage[]
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal
}

export interface ProviderImage {
  bytes: Uint8Array
  seed: number | undefined
}

export interface ProviderResult {
  images: ProviderImage[]
  /** USD as reported by the host. */
  costUsd: number | undefined
  /** The host's job handle, for the operator's log. */
  hostJobId: string
}

/** One adapter per host. It throws AppError with a relay code; the host's own text goes in `detail`. */
export interface Provider {
  readonly id: ProviderId
  editAsync(input: ProviderEditInput): Promise<ProviderResult>
}

export interface ProviderDeps {
  fetch: typeof fetch
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  randomUUID: () => string
  log: (event: string, fields: Record<string, unknown>) => void
}
