import { AppError } from '../../../shared/errors'
import { base64ToBytes } from '../../images/base64-to-bytes'
import type { ProviderImage, ProviderResult } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import type { FinishedTask } from './follow-runware-task-async'
import type { RunwareItem } from './runware-answers'
import type { RunwareContext } from './runware-context'

/**
 * One task's results as the variant engine takes them: the images not flagged NSFWContent, and
 * the cost of every result, flagged or not (Runware bills them all). Fewer results than asked,
 * with no failure Runware reported, is the host's error.
 */
export async function toRunwareResultAsync(
  context: RunwareContext,
  taskUUID: string,
  finished: FinishedTask,
  expected: number,
  signal: AbortSignal
): Promise<ProviderResult> {
  const { items } = finished
  const clean = items.filter((item) => item.NSFWContent !== true)
  if (items.length > 0 && clean.length === 0) {
    throw new AppError('moderated', undefined, { detail: 'runware flagged every result NSFWContent' })
  }
  if (items.length + finished.failed < expected || clean.length === 0) {
    throw new AppError('provider_error', undefined, { detail: `runware returned ${items.length} of ${expected} results` })
  }
  if (clean.length < items.length)
    context.log('provider.nsfw_dropped', { hostJobId: taskUUID, dropped: items.length - clean.length, kept: clean.length })
  const images: ProviderImage[] = await Promise.all(
    clean.map(async (item) => ({ bytes: await decodeItemAsync(context, item, signal), seed: item.seed }))
  )
  const costs = items.map((item) => item.cost).filter((cost): cost is number => cost !== undefined)
  return {
    images,
    costUsd: costs.length > 0 ? Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6 : undefined,
    hostJobId: taskUUID
  }
}

async function decodeItemAsync(context: RunwareContext, item: RunwareItem, signal: AbortSignal): Promise<Uint8Array> {
  if (item.imageBase64Data !== undefined) return base64ToBytes(item.imageBase64Data)
  const match = /^data:[^;,]+;base64,(.*)$/s.exec(item.imageDataURI ?? '')
  if (match?.[1] !== undefined) return base64ToBytes(match[1])
  // The relay asks for base64; should Runware answer with a URL anyway, fetch it at once (it expires).
  const url = item.imageURL ?? item.mediaURL
  if (url !== undefined) return downloadResultAsync(url, { fetch: context.deps.fetch, signal, hostBaseUrl: context.apiUrl })
  throw new AppError('provider_error', undefined, { detail: 'runware result carried no image data' })
}
