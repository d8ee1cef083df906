import type { AreaProvenance } from '../../shared/area/area-geometry'
import type { ResultImage } from '../../shared/messages'
import type { EditJob } from '../../shared/relay-api'
import type { PngImage, PreparedComposite } from '../image/area-compositor'
import { fitForFigmaAsync } from '../image/fit-for-figma-async'
import type { AreaExport } from '../plugin/plugin-bridge'
import type { PendingPlacement, ResultContext } from './collect-results-async'
import type { EditDeps } from './edit-deps'
import { resultProvenance } from './result-provenance'

export const UNBLENDED_NOTE =
  'A result could not be blended into the frame, so it is placed as the model made it: the area and its surroundings only.'

/** A region edit's context: the area is known once the sandbox has exported it. */
export type AreaResultContext = ResultContext & { area: AreaProvenance }

/**
 * Starts decoding the exported frame render for the composite. A compositor that cannot even
 * start (no canvas) fails each answer's blend instead, so the answers are still placed.
 */
export function prepareAreaComposite(deps: EditDeps, exported: Pick<AreaExport, 'frame' | 'geometry'>): PreparedComposite {
  const frame: PngImage = { png: exported.frame.png, width: exported.frame.pixelWidth, height: exported.frame.pixelHeight }
  try {
    return deps.prepareComposite(frame, exported.geometry)
  } catch (error) {
    return { compositeAsync: () => Promise.reject(error), close: () => undefined }
  }
}

/**
 * Downloads each answer of a region edit and blends it into the frame render: the result is the
 * whole frame at full resolution with only the area changed. Nothing paid is lost: an answer that
 * cannot be blended is placed as the model made it, and the outcome says so.
 */
export async function collectAreaResultsAsync(
  job: EditJob,
  context: AreaResultContext,
  composite: PreparedComposite,
  notes: string[],
  deps: EditDeps,
  signal: AbortSignal
): Promise<PendingPlacement> {
  deps.onProgress({ stage: 'downloading', jobId: job.id })
  const createdAt = new Date(deps.now()).toISOString()
  const images: ResultImage[] = []
  const afters: PngImage[] = []
  let before: PngImage | undefined
  let driftLarge = false
  let unblended = false
  for (const [index, image] of job.images.entries()) {
    const bytes = await deps.relay.fetchImageAsync(image.url, signal)
    const provenance = resultProvenance(job, index, context, createdAt)
    try {
      const blended = await composite.compositeAsync({ bytes, contentType: image.contentType })
      images.push({
        bytes: blended.image.png,
        contentType: 'image/png',
        width: blended.image.width,
        height: blended.image.height,
        provenance: { ...provenance, area: { ...context.area, drift: blended.drift } }
      })
      before ??= blended.before
      afters.push(blended.after)
      driftLarge ||= blended.drift.large
    } catch (error) {
      deps.log?.('could not blend a region edit’s answer; placing it as it is', error)
      // Without `area` in its provenance: the image is the crop, not the frame, so Edit again treats it as a plain image.
      const fitted = await fitForFigmaAsync(
        { bytes, contentType: image.contentType, width: image.width, height: image.height },
        deps.resizeAsync
      )
      images.push({ ...fitted, provenance })
      unblended = true
    }
  }
  return {
    requestId: context.requestId,
    sourceId: context.sourceId,
    job,
    images,
    area: {
      label: context.area.label,
      ...(before === undefined ? {} : { before }),
      afters,
      driftLarge,
      notes: [...notes, ...(unblended ? [UNBLENDED_NOTE] : [])]
    }
  }
}
