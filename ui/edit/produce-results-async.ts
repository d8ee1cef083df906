import { AppError } from '../../shared/errors'
import { ProvenanceOptions } from '../../shared/provenance'
import type { ProviderId } from '../../shared/models'
import type { EditJob, ModelCapabilities } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import { toEditRequest } from '../../shared/to-edit-request'
import { waitForEditAsync } from '../../client/wait-for-edit-async'
import { collectResultsAsync, type PendingPlacement, type ResultContext } from './collect-results-async'
import type { EditDeps } from './edit-deps'

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
