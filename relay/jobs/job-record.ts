import type { RelayErrorInfo } from '../../shared/errors'
import type { ModelId, ProviderId } from '../../shared/models'
import type { ImageContentType, JobStatus } from '../../shared/relay-api'

export interface StoredImage {
  bytes: Uint8Array
  contentType: ImageContentType
  width: number
  height: number
  seed: number | undefined
}

export interface JobRecord {
  id: string
  /** Hash of the access token that created the job; other tokens cannot see it. */
  owner: string
  status: JobStatus
  provider: ProviderId
  model: ModelId
  createdAt: number
  updatedAt: number
  expiresAt: number
  images: StoredImage[]
  error: RelayErrorInfo | undefined
  costUsd: number | undefined
  /** True when the host reported no cost and `costUsd` is the catalogue's price. */
  costEstimated: boolean
  /** 0–1 while running, where the host reports it. */
  progress: number | undefined
  hostJobId: string | undefined
}
