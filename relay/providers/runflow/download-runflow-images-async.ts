import { AppError } from '../../../shared/errors'
import { base64ToBytes } from '../../images/base64-to-bytes'
import type { ProviderImage } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import type { Run, RunOutput } from './runflow-answers'
import type { RunflowApi } from './runflow-api'

/**
 * Where a finished run's image URLs sit. A succeeded run's `output` is the normalized
 * `{type: "image", outputs: [{url}]}` (docs.runflow.io/concepts/runs); the SDK (tools/outputs.ts)
 * reads `outputs[].url`, then `image_urls[]` (older models), and for one image also `image.url`,
 * `url`, `output_url`. The first shape that yields a URL wins, in that order, as in the SDK's
 * `extractAllImageUrls` then `extractFirstImageUrl`.
 */
const IMAGE_URL_SHAPES: ReadonlyArray<(output: RunOutput) => string[]> = [
  (output) => (output.outputs ?? []).flatMap((item) => (item.url === undefined ? [] : [item.url])),
  (output) => (output.image_urls ?? []).filter((url): url is string => typeof url === 'string' && url !== ''),
  (output) => (output.image?.url === undefined ? [] : [output.image.url]),
  (output) => (output.url === undefined ? [] : [output.url]),
  (output) => (output.output_url === undefined ? [] : [output.output_url])
]

function imageUrlsOf(output: RunOutput | null | undefined): string[] {
  if (output === null || output === undefined) return []
  for (const shape of IMAGE_URL_SHAPES) {
    const urls = shape(output)
    if (urls.length > 0) return urls
  }
  return []
}

async function downloadAsync(api: RunflowApi, url: string, signal: AbortSignal): Promise<Uint8Array> {
  const inline = /^data:[^;,]+;base64,(.*)$/s.exec(url)
  if (inline !== null) return base64ToBytes(inline[1] ?? '')
  return downloadResultAsync(url, { fetch: api.deps.fetch, signal, hostBaseUrl: api.baseUrl })
}

/**
 * Every image of a finished run, downloaded at once (the URLs are presigned and expire).
 * `partial_succeeded` (docs.runflow.io/concepts/runs) delivers what its `outputs[]` holds. The SDK
 * names no seed in any shape: the call keeps the seed it sent, or fal's `output.seed` where an older
 * output still carries it.
 */
export async function downloadRunflowImagesAsync(
  api: RunflowApi,
  run: Run,
  seed: number | undefined,
  signal: AbortSignal
): Promise<ProviderImage[]> {
  const urls = imageUrlsOf(run.output)
  if (urls.length === 0)
    throw new AppError('provider_error', undefined, {
      detail: `runflow run ${run.id} ${run.status_code} without an image URL in its output`
    })
  if (run.status_code === 'partial_succeeded')
    api.deps.log('provider.partial_run', { provider: 'runflow', runId: run.id, images: urls.length })
  const firstSeed = run.output?.seed ?? seed
  const bytes = await Promise.all(urls.map((url) => downloadAsync(api, url, signal)))
  // One seed per call: it reproduces the call's first image (fal's batch shares it).
  return bytes.map((image, index) => ({ bytes: image, seed: index === 0 ? firstSeed : undefined }))
}
