import { AppError } from '../../../shared/errors'
import { base64ToBytes } from '../../images/base64-to-bytes'
import type { ProviderImage } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import type { VariantCall, VariantCallResult } from '../shared/run-variants-async'
import type { FalOutput, FalSubmitted } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER } from './fal-error'

/**
 * One call's images from its output: the ones fal flagged in `has_nsfw_concepts` dropped, the rest
 * downloaded at once (CDN URLs expire) or decoded (`sync_mode` data URIs). A call left with no
 * image fails: moderated when fal flagged them, provider_error when it returned none.
 */
export async function collectFalImagesAsync(
  connection: FalConnection,
  job: FalSubmitted,
  output: FalOutput,
  call: Pick<VariantCall, 'seed'>,
  signal: AbortSignal
): Promise<VariantCallResult> {
  const { deps } = connection
  const flags = output.has_nsfw_concepts ?? []
  const kept = output.images.map((image, index) => ({ image, index })).filter(({ index }) => flags[index] !== true)
  const flagged = output.images.length - kept.length
  if (flagged > 0)
    deps.log('provider.nsfw', { provider: FAL_PROVIDER, requestId: job.request_id, dropped: flagged, of: output.images.length })
  if (kept.length === 0 && flagged > 0)
    throw new AppError('moderated', undefined, { detail: `fal flagged every result has_nsfw_concepts (${job.request_id})` })
  if (kept.length === 0) throw new AppError('provider_error', undefined, { detail: `fal returned no images (${job.request_id})` })
  const images = await Promise.all(
    kept.map(async ({ image, index }): Promise<ProviderImage> => {
      const bytes = image.url.startsWith('data:')
        ? decodeDataUri(image.url)
        : await downloadResultAsync(image.url, { fetch: deps.fetch, signal, hostBaseUrl: connection.queueUrl })
      // fal reports one seed per call; it reproduces the batch, i.e. the first image on its own.
      return { bytes, seed: index === 0 ? (output.seed ?? call.seed) : undefined }
    })
  )
  return { images, costUsd: undefined, hostJobId: job.request_id }
}

function decodeDataUri(uri: string): Uint8Array {
  const match = /^data:[^,]*?;base64,(.*)$/s.exec(uri)
  if (match?.[1] === undefined) throw new AppError('provider_error', undefined, { detail: 'fal returned a data URI that is not base64' })
  return base64ToBytes(match[1])
}
