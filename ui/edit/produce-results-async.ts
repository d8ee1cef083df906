import { referenceTargetOf } from '../../shared/reference-target'
import { ProvenanceOptions } from '../../shared/provenance'
import type { ProviderId } from '../../shared/models'
import type { ModelCapabilities } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import { toEditRequest } from '../../shared/to-edit-request'
import { collectResultsAsync, type PendingPlacement, type ResultContext } from './collect-results-async'
import type { EditDeps } from './edit-deps'
import { generateOnRelayAsync } from './generate-on-relay-async'

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

/**
 * Export → upload → generate → download: everything up to the canvas. Cancelling at any stage
 * stops it; once the relay has the job, cancelling also cancels the job there.
 */
export async function produceResultsAsync(input: EditInput, deps: EditDeps, signal: AbortSignal): Promise<PendingPlacement> {
  deps.onProgress({ stage: 'exporting' })
  const references = await deps.plugin.exportSelectionAsync(input.requestId, signal, {
    ...(input.nodeIds === undefined ? {} : { nodeIds: input.nodeIds }),
    reference: referenceTargetOf(input.capabilities)
  })
  const source = references[0]!

  const request = toEditRequest(input.prompt, input.options, input.capabilities, input.provider)
  const context: ResultContext = {
    requestId: input.requestId,
    prompt: input.prompt,
    sourceId: source.sourceId,
    sourceName: source.name,
    options: ProvenanceOptions.parse(request),
    ...(input.parent === undefined ? {} : { parent: input.parent })
  }
  const images = references.map((reference, index) => ({
    bytes: reference.png,
    contentType: 'image/png' as const,
    name: `reference-${index + 1}.png`
  }))
  const job = await generateOnRelayAsync(request, images, context, deps, signal)
  return collectResultsAsync(job, context, deps, signal)
}
