import type { JobStatus } from '../../shared/relay-api'
import type { RelayClient } from '../../client/relay-client'
import type { AreaCompositor } from '../image/area-compositor'
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
  /** Decodes a region edit's frame render and blends the model's answers into it (a canvas in the panel). */
  prepareComposite: AreaCompositor
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  now: () => number
  onProgress: (progress: EditProgress) => void
  /** For what is handled but worth a line in the console (a result placed unblended). */
  log?: (message: string, detail?: unknown) => void
}
