import type { ResultImage } from '../../shared/messages'
import type { ProvenanceOptions } from '../../shared/provenance'
import type { EditJob } from '../../shared/relay-api'
import { fitForFigmaAsync } from '../image/fit-for-figma-async'
import type { EditDeps } from './edit-deps'

/** What a result needs besides its bytes: where it came from, for its provenance and placement. */
export interface ResultContext {
  requestId: string
  prompt: string
  sourceId: string
  sourceName: string
  options: ProvenanceOptions
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
 * Downloads a succeeded job's images from the relay, fits them for Figma and writes their
 * provenance. Also used for a job that finished while the panel was closed.
 */
export async function collectResultsAsync(
  job: EditJob,
  context: ResultContext,
  deps: EditDeps,
  signal: AbortSignal
): Promise<PendingPlacement> {
  deps.onProgress({ stage: 'downloading', jobId: job.id })
  const createdAt = new Date(deps.now()).toISOString()
  const images: ResultImage[] = []
  for (const [index, image] of job.images.entries()) {
    const bytes = await deps.relay.fetchImageAsync(image.url, signal)
    const fitted = await fitForFigmaAsync(
      { bytes, contentType: image.contentType, width: image.width, height: image.height },
      deps.resizeAsync
    )
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
