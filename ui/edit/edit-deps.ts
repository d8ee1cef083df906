import type { JobStatus } from '../../shared/relay-api'
import type { RelayClient } from '../../client/relay-client'
import type { ImageResizer } from '../image/fit-for-figma-async'
import type { PluginBridge } from '../plugin/plugin-bridge'
import type { ResultContext } from './collect-results-async'

export type EditStage = 'exporting' | 'uploading' | 'generating' | 'downloading' | 'placing'

export interface EditProgress {
  stage: EditStage
  jobId?: string
  status?: JobStatus
  uploadBytes?: number
}

export interface EditDeps {
  /** Called once the relay has the job, so the panel can remember it until its result is placed. */
  onJobCreated?: (jobId: string, context: ResultContext) => void
  plugin: PluginBridge
  relay: RelayClient
  resizeAsync: ImageResizer
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  now: () => number
  onProgress: (progress: EditProgress) => void
}
