import { AppError } from '../../shared/errors'
import type { ResultImage } from '../../shared/messages'
import { toEditRequest } from '../../shared/capabilities'
import { ProvenanceOptions } from '../../shared/provenance'
import type { ProviderId } from '../../shared/models'
import type { EditJob, JobStatus, ModelCapabilities } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import { fitForFigmaAsync, type ImageResizer } from '../image/fit-for-figma-async'
import type { PluginBridge } from '../plugin/plugin-bridge'
import type { RelayClient } from '../relay/relay-client'
import { waitForEditAsync } from '../relay/wait-for-edit-async'

export type EditStage = 'exporting' | 'uploading' | 'generating' | 'downloading' | 'placing'

export interface EditProgress {
  stage: EditStage
  jobId?: string
  status?: JobStatus
  uploadBytes?: number
}

export interface EditDeps {
  plugin: PluginBridge
  relay: RelayClient
  resize: ImageResizer
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  now: () => number
  onProgress: (progress: EditProgress) => void
}

export interface EditInput {
  requestId: string
  prompt: string
  options: EditOptions
  /** What the chosen host offers for the chosen model. */
  capabilities: ModelCapabilities
  /** undefined: the relay's default host. */
  provider: ProviderId | undefined
}

/** Results that are paid for and ready for the canvas; kept until placed so nothing is lost. */
export interface PendingPlacement {
  requestId: string
  sourceId: string
  job: EditJob
  images: ResultImage[]
}

/**
 * Export → upload → generate → download: everything up to the canvas. Cancelling at any stage
 * stops it; once the relay has the job, cancelling also cancels the job there.
 */
export async function produceResultsAsync(input: EditInput, deps: EditDeps, signal: AbortSignal): Promise<PendingPlacement> {
  deps.onProgress({ stage: 'exporting' })
  const references = await deps.plugin.exportSelectionAsync(input.requestId, signal)
  const source = references[0]!

  const uploadBytes = references.reduce((sum, reference) => sum + reference.png.byteLength, 0)
  deps.onProgress({ stage: 'uploading', uploadBytes })
  const request = toEditRequest(input.prompt, input.options, input.capabilities, input.provider)
  const settingsSent = ProvenanceOptions.parse(request)
  const created = await deps.relay.createEditAsync(
    request,
    references.map((reference, index) => ({ bytes: reference.png, contentType: 'image/png', name: `reference-${index + 1}.png` })),
    signal
  )

  deps.onProgress({ stage: 'generating', jobId: created.id, status: created.status })
  const cancelOnRelay = (): void => void deps.relay.cancelEditAsync(created.id).catch(() => undefined)
  signal.addEventListener('abort', cancelOnRelay, { once: true })
  let job: EditJob
  try {
    job = await waitForEditAsync(deps.relay, created.id, {
      signal,
      sleepAsync: deps.sleepAsync,
      now: deps.now,
      onUpdate: (update) => deps.onProgress({ stage: 'generating', jobId: update.id, status: update.status })
    })
  } finally {
    signal.removeEventListener('abort', cancelOnRelay)
  }
  if (job.status !== 'succeeded') throw new AppError(job.error?.code ?? 'provider_error', job.error?.message)

  deps.onProgress({ stage: 'downloading', jobId: job.id })
  const createdAt = new Date(deps.now()).toISOString()
  const images: ResultImage[] = []
  for (const [index, image] of job.images.entries()) {
    const bytes = await deps.relay.fetchImageAsync(image.url, signal)
    const fitted = await fitForFigmaAsync({ bytes, contentType: image.contentType, width: image.width, height: image.height }, deps.resize)
    const seed = image.seed
    images.push({
      ...fitted,
      provenance: {
        version: 1,
        prompt: input.prompt,
        provider: job.provider,
        model: job.model,
        ...(seed === undefined ? {} : { seed }),
        options: settingsSent,
        sourceId: source.sourceId,
        sourceName: source.name,
        relayJobId: job.id,
        variant: index + 1,
        resultWidth: image.width,
        resultHeight: image.height,
        createdAt
      }
    })
  }
  return { requestId: input.requestId, sourceId: source.sourceId, job, images }
}

export async function placePendingAsync(pending: PendingPlacement, deps: EditDeps, signal: AbortSignal): Promise<{ nodeIds: string[]; besideSource: boolean }> {
  deps.onProgress({ stage: 'placing', jobId: pending.job.id })
  return deps.plugin.placeResultsAsync(pending.requestId, pending.sourceId, pending.images, signal)
}
