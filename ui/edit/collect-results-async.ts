import type { AreaProvenance } from '../../shared/area/area-geometry'
import type { ResultImage } from '../../shared/messages'
import type { ProvenanceOptions } from '../../shared/provenance'
import type { EditJob } from '../../shared/relay-api'
import { fitForFigmaAsync } from '../image/fit-for-figma-async'
import type { AreaSummary } from './area-summary'
import type { EditDeps } from './edit-deps'
import { resultProvenance } from './result-provenance'

/** What a result needs besides its bytes: where it came from, for its provenance and placement. */
export interface ResultContext {
  requestId: string
  prompt: string
  sourceId: string
  sourceName: string
  options: ProvenanceOptions
  parent?: { nodeId: string; relayJobId: string }
  /** A region edit: the area its answer is blended into (the drift is measured later, per variant). */
  area?: AreaProvenance
}

/** Results that are paid for and ready for the canvas; kept until placed so nothing is lost. */
export interface PendingPlacement {
  requestId: string
  sourceId: string
  job: EditJob
  images: ResultImage[]
  /** A region edit's before/after, drift and notes, for the outcome. */
  area?: AreaSummary
}

/**
 * Downloads a succeeded job's images from the relay, fits them for Figma and writes their
 * provenance. Also used for a job that finished while the panel was closed, and for a region
 * edit's answers that could not be blended (placed as the model made them).
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
    images.push({ ...fitted, provenance: resultProvenance(job, index, context, createdAt) })
  }
  return { requestId: context.requestId, sourceId: context.sourceId, job, images }
}
