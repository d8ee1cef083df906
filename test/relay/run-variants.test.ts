import { describe, expect, it } from 'vitest'
import { offerOf } from '../../shared/models'
import { AppError } from '../../shared/errors'
import type { ProviderEditInput, ProviderProgress } from '../../relay/providers/provider'
import { planVariantCalls, runVariantsAsync, type VariantCall } from '../../relay/providers/shared/run-variants-async'

const OFFER = offerOf('runware', 'kontext-pro')!

function inputOf(
  numImages: number,
  variantsPerCall: number,
  seed?: number,
  progress: ProviderProgress[] = [],
  signal = new AbortController().signal
): ProviderEditInput {
  return {
    request: {
      prompt: 'p',
      model: 'kontext-pro',
      numImages,
      outputFormat: 'png',
      ...(seed === undefined ? {} : { seed })
    } as ProviderEditInput['request'],
    model: 'kontext-pro',
    offer: { ...OFFER, variantsPerCall, seedMax: 99 },
    size: { width: 1024, height: 1024 },
    aspectRatio: '1:1',
    references: [],
    signal,
    onProgress: (value) => progress.push(value)
  }
}

const image = (seed: number | undefined) => ({ bytes: new Uint8Array([1]), seed })

describe('the variant engine', () => {
  it('splits an edit by variantsPerCall, each call with the seed of its first variant (wrapping at seedMax)', () => {
    expect(planVariantCalls(inputOf(4, 1, 98)).map(({ firstVariant, count, seed }) => [firstVariant, count, seed])).toEqual([
      [0, 1, 98],
      [1, 1, 99],
      [2, 1, 0],
      [3, 1, 1]
    ])
    expect(planVariantCalls(inputOf(4, 3, 5)).map(({ firstVariant, count, seed }) => [firstVariant, count, seed])).toEqual([
      [0, 3, 5],
      [3, 1, 8]
    ])
    expect(planVariantCalls(inputOf(3, 4)).map(({ count, seed }) => [count, seed])).toEqual([[3, undefined]])
    expect(planVariantCalls(inputOf(2, 0)).map(({ count }) => count)).toEqual([1, 1])
  })

  it('keeps the images of calls that delivered when a sibling fails, sums costs, joins job ids, logs the failure', async () => {
    const logs: Array<[string, Record<string, unknown>]> = []
    const result = await runVariantsAsync(
      inputOf(3, 1, 10),
      { log: (event, fields) => logs.push([event, fields]) },
      'bfl',
      async (call: VariantCall) => {
        if (call.index === 1) throw new AppError('provider_error', undefined, { detail: 'boom' })
        return { images: [image(call.seed)], costUsd: 0.04, hostJobId: `job-${call.index}` }
      }
    )
    expect(result).toEqual({ images: [image(10), image(12)], costUsd: 0.08, hostJobId: 'job-0,job-2' })
    expect(logs).toEqual([['provider.variant_failed', { provider: 'bfl', calls: 3, failed: 1, code: 'provider_error', detail: 'boom' }]])
  })

  it('fails with the first failure when no call delivered', async () => {
    const first = new AppError('moderated')
    await expect(
      runVariantsAsync(inputOf(2, 1), { log: () => undefined }, 'fal', async (call) => {
        throw call.index === 0 ? first : new AppError('provider_error')
      })
    ).rejects.toBe(first)
  })

  it('knows the cost only when every delivering call reported one', async () => {
    const result = await runVariantsAsync(inputOf(2, 1), { log: () => undefined }, 'fal', async (call) => ({
      images: [image(undefined)],
      costUsd: call.index === 0 ? 0.1 : undefined,
      hostJobId: 'j'
    }))
    expect(result.costUsd).toBeUndefined()
  })

  it('throws the abort reason once the edit is canceled, whatever the calls did', async () => {
    const controller = new AbortController()
    const reason = new AppError('canceled')
    const input = inputOf(2, 1, undefined, [], controller.signal)
    await expect(
      runVariantsAsync(input, { log: () => undefined }, 'fal', async () => {
        controller.abort(reason)
        return { images: [image(undefined)], costUsd: 0, hostJobId: 'j' }
      })
    ).rejects.toBe(reason)
  })

  it("reports queued until a call runs, then the share of images done, weighted by each call's size", async () => {
    const progress: ProviderProgress[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const running = runVariantsAsync(inputOf(4, 3, undefined, progress), { log: () => undefined }, 'runware', async (call) => {
      call.onProgress({ status: 'queued' })
      if (call.index === 0) {
        call.onProgress({ status: 'running', fraction: 0.5 })
        await gate
      }
      return { images: Array.from({ length: call.count }, () => image(undefined)), costUsd: 0, hostJobId: 'j' }
    })
    await new Promise((resolve) => setTimeout(resolve, 0))
    release()
    await running
    // 3 images at 0.5 = 1.5 of 4 (the second call queuing does not undo that); then the 1-image call done (2.5 of 4); the last call's end is the result, not progress.
    expect(progress).toEqual([
      { status: 'queued' },
      { status: 'running', fraction: 1.5 / 4 },
      { status: 'running', fraction: 1.5 / 4 },
      { status: 'running', fraction: 2.5 / 4 }
    ])
  })
})

describe('the variant engine, progress without figures', () => {
  it('reports running without a fraction while no running call has given one', async () => {
    const progress: ProviderProgress[] = []
    await runVariantsAsync(inputOf(2, 1, undefined, progress), { log: () => undefined }, 'comfyui', async (call) => {
      call.onProgress({ status: 'running' })
      return { images: [image(undefined)], costUsd: 0, hostJobId: 'j' }
    })
    expect(progress[0]).toEqual({ status: 'running' })
  })
})

describe('the variant engine, edges', () => {
  it('plans nothing past the last image', () => {
    expect(planVariantCalls(inputOf(3, 3)).map(({ index, count }) => [index, count])).toEqual([[0, 3]])
    expect(planVariantCalls(inputOf(4, 2)).map(({ index, firstVariant, count }) => [index, firstVariant, count])).toEqual([
      [0, 0, 2],
      [1, 2, 2]
    ])
  })

  it('weighs a running call without a figure as 0 once another call gave one', async () => {
    const progress: ProviderProgress[] = []
    await runVariantsAsync(inputOf(2, 1, undefined, progress), { log: () => undefined }, 'runware', async (call) => {
      call.onProgress(call.index === 0 ? { status: 'running' } : { status: 'running', fraction: 0.5 })
      return { images: [image(undefined)], costUsd: 0, hostJobId: 'j' }
    })
    // The first call ends while the second still says 0.5: 1 + 0.5 of 2.
    expect(progress).toEqual([{ status: 'running' }, { status: 'running', fraction: 0.25 }, { status: 'running', fraction: 0.75 }])
  })

  it('counts a queued call as nothing beside a running one', async () => {
    const progress: ProviderProgress[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const running = runVariantsAsync(inputOf(2, 1, undefined, progress), { log: () => undefined }, 'runware', async (call) => {
      // A queued call's figure (a queue position, say) is not progress.
      call.onProgress(call.index === 0 ? { status: 'running', fraction: 0.5 } : { status: 'queued', fraction: 0.9 })
      await gate
      return { images: [image(undefined)], costUsd: 0, hostJobId: 'j' }
    })
    await new Promise((resolve) => setTimeout(resolve, 0))
    release()
    await running
    expect(progress.slice(0, 2)).toEqual([
      { status: 'running', fraction: 0.25 },
      { status: 'running', fraction: 0.25 }
    ])
  })

  it("keeps a host's figure between 0 and 1", async () => {
    const progress: ProviderProgress[] = []
    await runVariantsAsync(inputOf(1, 1, undefined, progress), { log: () => undefined }, 'runware', async (call) => {
      call.onProgress({ status: 'running', fraction: 1.5 })
      call.onProgress({ status: 'running', fraction: -0.5 })
      return { images: [image(undefined)], costUsd: 0, hostJobId: 'j' }
    })
    expect(progress).toEqual([
      { status: 'running', fraction: 1 },
      { status: 'running', fraction: 0 }
    ])
  })

  it('logs every failure, an error that is not an AppError as internal', async () => {
    const logs: Array<[string, Record<string, unknown>]> = []
    await runVariantsAsync(inputOf(3, 1), { log: (event, fields) => logs.push([event, fields]) }, 'bfl', async (call) => {
      if (call.index === 0) throw new Error('socket hang up')
      if (call.index === 1) throw new AppError('moderated', undefined, { detail: 'nsfw' })
      return { images: [image(undefined)], costUsd: 0.01, hostJobId: 'j' }
    })
    expect(logs).toEqual([
      ['provider.variant_failed', { provider: 'bfl', calls: 3, failed: 2, code: 'internal', detail: 'Error: socket hang up' }],
      ['provider.variant_failed', { provider: 'bfl', calls: 3, failed: 2, code: 'moderated', detail: 'nsfw' }]
    ])
  })

  it('rounds the summed cost to a millionth of a dollar', async () => {
    const costs = [0.1, 0.2]
    const result = await runVariantsAsync(inputOf(2, 1), { log: () => undefined }, 'fal', async (call) => ({
      images: [image(undefined)],
      costUsd: costs[call.index],
      hostJobId: `h${call.index}`
    }))
    expect(result.costUsd).toBe(0.3)
    expect(result.hostJobId).toBe('h0,h1')
  })
})
