import { setTimeout as sleep } from 'node:timers/promises'
import type { Provider, ProviderEditInput, ProviderResult } from '../../relay/providers/provider'
import { runVariantsAsync } from '../../relay/providers/shared/run-variants-async'
import { estimateCostUsd, PROVIDERS, type ProviderId } from '../../shared/models'
import { makeJpeg, makePng, makeWebpAsync } from '../fakes/make-image'

export interface StubProviderOptions {
  id?: ProviderId
  /** How long each host call takes (default 0). */
  latencyMs?: number
}

export interface StubProvider extends Provider {
  /** Every image the stub delivered, in order. */
  readonly delivered: Uint8Array[]
  /** The edits it was asked for, in order. */
  readonly calls: ProviderEditInput[]
}

/**
 * A `Provider` with no wire at all, for tests of the jobs layer (statuses, long polls, images,
 * cancel, retention): each call makes real images of the offer's output size after `latencyMs`,
 * seeded by the call's seed, costing the offer's price each. Like the real adapter of its host, it
 * stops at an abort only where the catalogue says the host can cancel; otherwise the host call runs
 * to its end and is billed. Host behaviour belongs in the contract tests, against each host's fake.
 */
export function createStubProvider(options: StubProviderOptions = {}): StubProvider {
  const id = options.id ?? 'runware'
  const delivered: Uint8Array[] = []
  const calls: ProviderEditInput[] = []
  const makeAsync = async (input: ProviderEditInput, seed: number): Promise<Uint8Array> => {
    const { width, height } = input.size
    if (input.request.outputFormat === 'jpeg') return makeJpeg(width, height, seed)
    if (input.request.outputFormat === 'webp') return makeWebpAsync(width, height, seed)
    return makePng(width, height, seed)
  }
  return {
    id,
    delivered,
    calls,
    async editAsync(input): Promise<ProviderResult> {
      calls.push(input)
      return runVariantsAsync(input, { log: () => undefined }, id, async (call) => {
        call.onProgress({ status: 'running', fraction: 0 })
        const signal = PROVIDERS[id].cancel ? input.signal : undefined
        if ((options.latencyMs ?? 0) > 0) await sleep(options.latencyMs, undefined, { signal })
        signal?.throwIfAborted()
        const seeds = Array.from({ length: call.count }, (_, index) => (call.seed ?? call.index * 1000) + index)
        const images = await Promise.all(
          seeds.map(async (seed) => ({ bytes: await makeAsync(input, seed), seed: call.seed === undefined ? undefined : seed }))
        )
        delivered.push(...images.map((image) => image.bytes))
        return {
          images,
          costUsd: estimateCostUsd(input.offer.price, {
            images: call.count,
            outputPixels: input.size.width * input.size.height,
            inputPixels: input.references.reduce((sum, reference) => sum + reference.width * reference.height, 0)
          }),
          hostJobId: `stub-${calls.length}-${call.index}`
        }
      })
    }
  }
}
