import type { AreaGeometry } from '../../shared/area/area-geometry'
import type { EditJob } from '../../shared/relay-api'
import type { AreaExport } from '../plugin/plugin-bridge'
import { areaOutputSizes } from '../../shared/area/area-output-sizes'
import { collectAreaResultsAsync, prepareAreaComposite, type AreaResultContext } from './collect-area-results-async'
import { collectResultsAsync, type PendingPlacement } from './collect-results-async'
import type { EditDeps } from './edit-deps'

export const NOT_REEXPORTED_NOTE =
  'The frame changed or is gone since this edit started, so its result is placed as the model made it: the area and its surroundings only.'

/** Within half a design pixel: the same crop, so the answer still lines up with the frame. */
function sameCrop(now: AreaGeometry, then: AreaGeometry): boolean {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 0.5
  return (
    close(now.crop.x, then.crop.x) &&
    close(now.crop.y, then.crop.y) &&
    close(now.crop.width, then.crop.width) &&
    close(now.crop.height, then.crop.height) &&
    close(now.containerWidth, then.containerWidth) &&
    close(now.containerHeight, then.containerHeight)
  )
}

/**
 * A region edit that finished while the panel was closed: the frame render is gone with the old
 * panel, so the sandbox exports the stored area again and the answers are blended as usual. When
 * the frame is gone or has changed so the crop no longer lines up, the answers are placed as the
 * model made them, with a note: nothing paid is lost.
 */
export async function recoverAreaResultsAsync(
  job: EditJob,
  context: AreaResultContext,
  deps: EditDeps,
  signal: AbortSignal
): Promise<PendingPlacement> {
  const stored = context.area
  const outputSizes = areaOutputSizes(job.provider, job.model)
  const request = { containerId: stored.containerId, nodeIds: stored.nodeIds, rect: stored.geometry.area, outputSizes }
  const exported: AreaExport | undefined = await deps.plugin.exportAreaAsync(context.requestId, request, signal).catch((error: unknown) => {
    deps.log?.('could not export the area of an earlier edit again', error)
    return undefined
  })
  if (exported !== undefined && sameCrop(exported.geometry, stored.geometry)) {
    const composite = prepareAreaComposite(deps, exported)
    try {
      const area = { ...stored, geometry: exported.geometry }
      return await collectAreaResultsAsync(job, { ...context, area }, composite, exported.notes, deps, signal)
    } finally {
      composite.close()
    }
  }
  // Plain results: their provenance has no area (the image is the crop, not the frame).
  const pending = await collectResultsAsync(job, context, deps, signal)
  return { ...pending, area: { label: stored.label, afters: [], driftLarge: false, notes: [NOT_REEXPORTED_NOTE] } }
}
