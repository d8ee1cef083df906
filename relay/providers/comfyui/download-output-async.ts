import { AppError } from '../../../shared/errors'
import { downloadResultAsync } from '../shared/download-result-async'
import type { HistoryEntry } from './comfyui-answers'
import type { ComfyuiClient } from './comfyui-client'

const DOWNLOAD_ATTEMPTS = 3
const DOWNLOAD_RETRY_MS = 500

/** The first image of the workflow's save node, through `GET /view`; retried when ComfyUI was not reached. */
export async function downloadOutputAsync(
  client: ComfyuiClient,
  entry: HistoryEntry,
  saveNode: string,
  promptId: string,
  signal: AbortSignal
): Promise<Uint8Array> {
  const image = entry.outputs[saveNode]?.images?.[0]
  if (image === undefined)
    throw new AppError('provider_error', undefined, {
      detail: `comfyui prompt ${promptId} finished without an image from node ${saveNode}`
    })
  const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type })
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await downloadResultAsync(client.url(`/view?${query.toString()}`), {
        fetch: client.deps.fetch,
        signal,
        hostBaseUrl: client.base
      })
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'provider_unavailable' || attempt >= DOWNLOAD_ATTEMPTS) throw error
      await client.deps.sleepAsync(DOWNLOAD_RETRY_MS, signal)
    }
  }
}
