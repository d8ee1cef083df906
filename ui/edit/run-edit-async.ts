import { AppError } from '../../shared/errors'
import type { ResultImage } from '../../shared/messages'
import { toEditRequest } from '../../shared/capabilities'
import { ProvenanceOptions } from '../../shared/provenance'
import type { ProviderId } from '../../shared/models'
import type { EditJob, JobStatus, ModelCapabilities } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import { fitForFigmaAsync, type ImageResizer } from '../image/fit-for-figma-async'
import type { PluginBridge } from '../plugin/plugin-bridge'
import type { RelayClient } from '../../client/relay-client'
import { waitForEditAsync } from '../../client/wait-for-edit-async'

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
  /** Export these nodes instead of the selection (batch edits, new variations). */
  nodeIds?: string[]
  /** The result this edit iterates on, when the reference is itself a Kontext result. */
  parent?: { nodeId: string; relayJobId: string }
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
  const references = await deps.plugin.exportSelectionAsync(input.requestId, signal, input.nodeIds)
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

  const context: ResultContext = {
    requestId: input.requestId,
    prompt: input.prompt,
    sourceId: source.sourceId,
    sourceName: source.name,
    options: settingsSent,
    ...(input.parent === undefined ? {} : { parent: input.parent })
  }
  deps.onJobCreated?.(created.id, context)
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

  return collectResultsAsync(job, context, deps, signal)
}

/** What a result needs besides its bytes: where it came from, for its provenance and placement. */
export interface ResultContext {
  requestId: string
  prompt: string
  sourceId: string
  sourceName: string
  options: ProvenanceOptions
  parent?: { nodeId: string; relayJobId: string }
}

/**
 * Downloads a succeeded job's images from the relay, fits them for Figma and writes their
 * provenance. Also used for a job that finished while the panel was closed.
 */
export async function collectResultsAsync(job: EditJob, context: ResultContext, deps: EditDeps, signal: AbortSignal): Promise<PendingPlacement> {
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
        prompt: context.prompt,
        provider: job.provider,
        model: job.model,
        ...(seed === undefined ? {} : { seed }),
        options: context.options,
        sourceId: context.sourceId,
        sourceName: context.sourceName,
        relayJobId: job.id,
        variant: index + 1,
        resultWidth: image.width,
        resultHeight: image.height,
        createdAt,
        ...(context.parent === undefined ? {} : { parent: context.parent })
      }
    })
  }
  return { requestId: context.requestId, sourceId: context.sourceId, job, images }
}

export async function placePendingAsync(pending: PendingPlacement, deps: EditDeps, signal: AbortSignal): Promise<{ nodeIds: string[]; besideSource: boolean }> {
  deps.onProgress({ stage: 'placing', jobId: pending.job.id })
  return deps.plugin.placeResultsAsync(pending.requestId, pending.sourceId, pending.images, signal)
}
