import { referenceTargetOf } from '../../shared/reference-target'
import type { AreaRect } from '../../shared/area/area-geometry'
import { ProvenanceOptions } from '../../shared/provenance'
import { toEditRequest } from '../../shared/to-edit-request'
import { collectAreaResultsAsync, prepareAreaComposite, type AreaResultContext } from './collect-area-results-async'
import type { PendingPlacement } from './collect-results-async'
import type { EditDeps } from './edit-deps'
import { generateOnRelayAsync } from './generate-on-relay-async'
import type { EditInput } from './produce-results-async'

/** Which area of which container a region edit changes. */
export interface AreaTarget {
  containerId: string
  /** The selected layers (for Edit again on a region result: the result itself, which stands in for its frame). */
  nodeIds: string[]
  /** A stored area (Edit again, New variation); without it the sandbox takes what is visible of `nodeIds`. */
  rect?: AreaRect
  label: string
  /** The model's output sizes: the crop takes the aspect ratio of one of them. */
  outputSizes: Array<{ width: number; height: number }>
}

export interface AreaEditInput extends Omit<EditInput, 'nodeIds'> {
  area: AreaTarget
}

/**
 * A region edit: the sandbox exports the crop around the area (at the model's reference size) and the
 * container at full resolution; the crop alone goes to the model, one paid host call per variant
 * as for a whole frame; each answer is blended back into the frame render before it is placed.
 */
export async function produceAreaResultsAsync(input: AreaEditInput, deps: EditDeps, signal: AbortSignal): Promise<PendingPlacement> {
  const { area } = input
  deps.onProgress({ stage: 'exporting' })
  const exported = await deps.plugin.exportAreaAsync(
    input.requestId,
    {
      containerId: area.containerId,
      nodeIds: area.nodeIds,
      ...(area.rect === undefined ? {} : { rect: area.rect }),
      outputSizes: area.outputSizes,
      reference: referenceTargetOf(input.capabilities)
    },
    signal
  )
  // The crop already has one of the model's output ratios (auto keeps it), and PNG keeps the answer lossless for the blend.
  const request = toEditRequest(
    input.prompt,
    { ...input.options, aspectRatio: 'auto', outputFormat: 'png' },
    input.capabilities,
    input.provider
  )
  const context: AreaResultContext = {
    requestId: input.requestId,
    prompt: input.prompt,
    sourceId: exported.reference.sourceId,
    sourceName: exported.reference.name,
    options: ProvenanceOptions.parse(request),
    ...(input.parent === undefined ? {} : { parent: input.parent }),
    area: { containerId: area.containerId, nodeIds: area.nodeIds, label: area.label, geometry: exported.geometry }
  }
  const reference = { bytes: exported.reference.png, contentType: 'image/png' as const, name: 'area.png' }
  // Decoded while the model works, so only the blend and the encoding are left once it answers.
  const composite = prepareAreaComposite(deps, exported)
  try {
    const job = await generateOnRelayAsync(request, [reference], context, deps, signal)
    return await collectAreaResultsAsync(job, context, composite, exported.notes, deps, signal)
  } finally {
    composite.close()
  }
}
