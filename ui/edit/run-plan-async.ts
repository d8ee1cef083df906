import { outputSizeFor } from '../../shared/output-size-for'
import { referenceSize, referenceTargetOf } from '../../shared/reference-target'
import { AppError } from '../../shared/errors'
import { toErrorInfo } from '../../shared/to-error-info'
import type { ProviderId } from '../../shared/models'
import type { ModelCapabilities } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import type { ItemState } from '../state/panel-state'
import { mapWithConcurrencyAsync } from './map-with-concurrency-async'
import { placePendingAsync } from './place-pending-async'
import { produceAreaResultsAsync, type AreaTarget } from './produce-area-results-async'
import { produceResultsAsync, type EditInput } from './produce-results-async'
import type { EditDeps } from './edit-deps'
import type { PendingPlacement, ResultContext } from './collect-results-async'

export interface PlanItem {
  sourceId: string
  name: string
  /** undefined: export the whole selection (several frames as one edit's references). */
  nodeIds: string[] | undefined
  /** The frame's size at 1×, for saying when a result has fewer pixels. */
  frame: { width: number; height: number }
  /** “This area only”: edit the area of the container `sourceId` and blend the answer back into it. */
  area?: AreaTarget
}

export interface Plan {
  items: PlanItem[]
  prompt: string
  options: EditOptions
  capabilities: ModelCapabilities
  provider: ProviderId | undefined
  parent?: { nodeId: string; relayJobId: string }
}

export interface PlanCallbacks {
  onItem: (index: number, patch: Partial<ItemState>) => void
  /** The relay has the job: remember it until its result is placed. */
  onJobCreated: (jobId: string, context: ResultContext) => void
  /** The result is on the canvas: forget the job, add it to history. */
  onPlaced: (pending: PendingPlacement, nodeIds: string[]) => void
}

/** Frames edited each on their own run two at a time: fast, yet gentle on hosts' rate limits. */
export const BATCH_CONCURRENCY = 2

/**
 * Said in the outcome when the result has fewer pixels than the frame, or is not the size the
 * model was asked for: what was asked (the reference's shape at the model's size, as the relay
 * asks: shared/output-size-for.ts), what came back, and what the model can do.
 */
export function resolutionNote(
  pending: PendingPlacement,
  frame: { width: number; height: number },
  capabilities: ModelCapabilities
): string | undefined {
  const image = pending.images[0]
  if (image === undefined) return undefined
  const [frameWidth, frameHeight] = [Math.round(frame.width), Math.round(frame.height)]
  // A region edit's reference is its crop, not the frame: what it asked for is not the frame's.
  const reference = referenceSize(frame, referenceTargetOf(capabilities))
  const asked = pending.area === undefined ? outputSizeFor(capabilities.output, reference, reference.width * reference.height) : undefined
  const smaller = image.width * image.height < frameWidth * frameHeight
  const otherSize =
    asked !== undefined && capabilities.output.kind === 'free' && (image.width !== asked.width || image.height !== asked.height)
  if (!smaller && !otherSize) return undefined
  const { output } = capabilities
  const limit =
    output.kind === 'fixed'
      ? 'Kontext works at about one megapixel.'
      : `${capabilities.name} answers at up to ${output.maxPixels / 1_000_000} MP.`
  const wanted = asked === undefined ? '' : ` (asked for ${asked.width}×${asked.height})`
  return `${image.width}×${image.height} result for a ${frameWidth}×${frameHeight} frame${wanted}. ${limit}`
}

/**
 * Runs a plan: each item is exported, edited on the relay, downloaded and placed beside its own
 * source. Items report their own progress and outcome; one failing does not stop the others.
 * Resolves with whether every result landed beside its source.
 */
export async function runPlanAsync(
  plan: Plan,
  makeDeps: (index: number) => EditDeps,
  callbacks: PlanCallbacks,
  signal: AbortSignal,
  randomId: () => string
): Promise<{ besideSource: boolean }> {
  let besideSource = true
  await mapWithConcurrencyAsync(plan.items, BATCH_CONCURRENCY, async (item, index) => {
    if (signal.aborted) return
    const deps: EditDeps = {
      ...makeDeps(index),
      onProgress: (progress) =>
        callbacks.onItem(index, { stage: progress.stage, status: progress.status, uploadBytes: progress.uploadBytes }),
      onJobCreated: callbacks.onJobCreated
    }
    const input: EditInput = {
      requestId: randomId(),
      prompt: plan.prompt,
      options: plan.options,
      capabilities: plan.capabilities,
      provider: plan.provider,
      ...(plan.parent === undefined ? {} : { parent: plan.parent })
    }
    let pending: PendingPlacement
    try {
      pending =
        item.area === undefined
          ? await produceResultsAsync({ ...input, ...(item.nodeIds === undefined ? {} : { nodeIds: item.nodeIds }) }, deps, signal)
          : await produceAreaResultsAsync({ ...input, area: item.area }, deps, signal)
    } catch (error) {
      if (!signal.aborted) callbacks.onItem(index, { stage: 'failed', error: toErrorInfo(error, 'provider_error') })
      throw error
    }
    try {
      const placed = await placePendingAsync(pending, deps, signal)
      besideSource &&= placed.besideSource
      callbacks.onPlaced(pending, placed.nodeIds)
      const note = resolutionNote(pending, item.frame, plan.capabilities)
      callbacks.onItem(index, {
        stage: 'done',
        nodeIds: placed.nodeIds,
        ...(pending.job.cost === undefined ? {} : { costUsd: pending.job.cost, costEstimated: pending.job.costEstimated === true }),
        ...(note === undefined ? {} : { resolutionNote: note }),
        ...(pending.area === undefined ? {} : { area: pending.area })
      })
    } catch (error) {
      // Paid for but not on the canvas: keep it so it can be placed again.
      const info = error instanceof AppError && error.code === 'canceled' ? error.toInfo() : toErrorInfo(error, 'place_failed')
      callbacks.onItem(index, { stage: 'failed', error: info, pending })
      throw error
    }
  })
  return { besideSource }
}
