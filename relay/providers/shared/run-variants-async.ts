import { AppError } from '../../../shared/errors'
import { describeError } from '../../../shared/describe-error'
import type { ProviderDeps, ProviderEditInput, ProviderProgress, ProviderResult } from '../provider'

/** One host call of an edit, as the variant engine hands it to an adapter. */
export interface VariantCall {
  /** 0-based, in the order the calls were made. */
  index: number
  /** The variant this call's first image is (0-based across the edit). */
  firstVariant: number
  /** Images this call makes: at most the offer's `variantsPerCall`. */
  count: number
  /** The seed of the call's first image, when the designer set one; the host derives the rest. */
  seed: number | undefined
  /** This call's progress; the engine reports the whole edit's. */
  onProgress(progress: ProviderProgress): void
}

/** What one call delivered: its images, its cost as the host reported it, its job handle. */
export type VariantCallResult = ProviderResult

export type RunCallAsync = (call: VariantCall) => Promise<VariantCallResult>

/** The calls an edit makes: `numImages` split by `variantsPerCall`, each with its first seed. */
export function planVariantCalls(input: Pick<ProviderEditInput, 'request' | 'offer'>): Array<Omit<VariantCall, 'onProgress'>> {
  const { numImages, seed } = input.request
  const perCall = Math.max(1, input.offer.variantsPerCall)
  const seedSpan = input.offer.seedMax + 1
  const calls: Array<Omit<VariantCall, 'onProgress'>> = []
  for (let first = 0; first < numImages; first += perCall) {
    calls.push({
      index: calls.length,
      firstVariant: first,
      count: Math.min(perCall, numImages - first),
      seed: seed === undefined ? undefined : (seed + first) % seedSpan
    })
  }
  return calls
}

/**
 * The one variant engine every adapter runs an edit through (as vercel/ai's image core splits by
 * each provider's `maxImagesPerCall`): the adapter declares how many images one call makes
 * (`offer.variantsPerCall`) and runs one call; splitting, seeds, progress, the partial-failure
 * policy and cost summing live here.
 *
 * The policy, the same on every host: calls run in parallel and none is canceled because a sibling
 * failed, since a host may already be making (and billing) it. Images that came back are kept; the
 * edit fails only when no call delivered, with the first call's error. A cost is known only when
 * every call that delivered reported one; otherwise the jobs layer bills the catalogue price.
 */
export async function runVariantsAsync(
  input: ProviderEditInput,
  deps: Pick<ProviderDeps, 'log'>,
  provider: string,
  runCallAsync: RunCallAsync
): Promise<ProviderResult> {
  const plan = planVariantCalls(input)
  const total = plan.reduce((sum, call) => sum + call.count, 0)
  const states = plan.map((): ProviderProgress | undefined => undefined)
  const report = (): void => {
    const started = states.filter((state): state is ProviderProgress => state !== undefined && state.status === 'running')
    if (started.length === 0) {
      input.onProgress({ status: 'queued' })
      return
    }
    // Running without a figure from any call is not 0 %: the host has not said.
    if (started.every((state) => state.fraction === undefined)) {
      input.onProgress({ status: 'running' })
      return
    }
    const done = plan.reduce(
      (sum, call, index) => sum + call.count * (states[index]?.status === 'running' ? (states[index].fraction ?? 0) : 0),
      0
    )
    input.onProgress({ status: 'running', fraction: Math.min(1, Math.max(0, done / total)) })
  }
  let pending = plan.length
  const runOneAsync = async (call: Omit<VariantCall, 'onProgress'>): Promise<VariantCallResult> => {
    const result = await runCallAsync({
      ...call,
      onProgress: (progress) => {
        states[call.index] = progress
        report()
      }
    })
    states[call.index] = { status: 'running', fraction: 1 }
    pending -= 1
    // The last call's end is the edit's end: its result follows at once, so no progress is sent
    // for it (each change wakes the client's long poll).
    if (pending > 0) report()
    return result
  }

  const settled = await Promise.allSettled(plan.map(runOneAsync))
  if (input.signal.aborted) throw input.signal.reason
  const delivered = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
  for (const failure of failures) {
    deps.log('provider.variant_failed', {
      provider,
      calls: plan.length,
      failed: failures.length,
      code: failure instanceof AppError ? failure.code : 'internal',
      detail: describeError(failure)
    })
  }
  if (delivered.length === 0) throw failures[0]
  const costs = delivered.map((result) => result.costUsd)
  return {
    images: delivered.flatMap((result) => result.images),
    costUsd: costs.every((cost): cost is number => cost !== undefined)
      ? Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6
      : undefined,
    hostJobId: delivered.map((result) => result.hostJobId).join(',')
  }
}
