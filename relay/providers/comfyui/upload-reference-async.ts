import { AppError } from '../../../shared/errors'
import type { ReferenceImage } from '../provider'
import { describeHostBody } from '../shared/host-error'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { UploadAnswer } from './comfyui-answers'
import type { ComfyuiClient } from './comfyui-client'
import { comfyuiError } from './comfyui-error'

/** Uploads are free and go to a machine next door: retry them soon. */
const UPLOAD_ATTEMPTS = 3
const UPLOAD_RETRY_MS = 250
const EXTENSIONS: Record<ReferenceImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

/** Named by a hash of its bytes, so a frame edited again is not stored twice. */
async function uploadNameAsync(reference: ReferenceImage): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(reference.bytes)))
  const hex = Array.from(digest.subarray(0, 12), (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `kontext-edit-${hex}.${EXTENSIONS[reference.contentType]}`
}

type UploadAttempt = { kind: 'done'; name: string } | { kind: 'retry'; error: AppError }

async function uploadOnceAsync(
  client: ComfyuiClient,
  reference: ReferenceImage,
  filename: string,
  signal: AbortSignal
): Promise<UploadAttempt> {
  const form = new FormData()
  form.append('image', new Blob([new Uint8Array(reference.bytes)], { type: reference.contentType }), filename)
  form.append('type', 'input')
  form.append('overwrite', 'false')
  const answer = await hostFetchAsync(
    client.deps.fetch,
    client.url('/upload/image'),
    { method: 'POST', body: form, headers: { accept: 'application/json' } },
    signal
  )
  if (answer.kind === 'network')
    return {
      kind: 'retry',
      error: new AppError('provider_unavailable', undefined, { detail: `comfyui upload: ${answer.detail}`, cause: answer.error })
    }
  const text = await readTextAsync(answer.response, signal)
  const status = answer.response.status
  if (!text.ok)
    return {
      kind: 'retry',
      error: new AppError('provider_unavailable', undefined, { detail: `comfyui upload: ${text.detail}`, cause: text.error })
    }
  if (status === 200) {
    const parsed = UploadAnswer.safeParse(parseJson(text.text))
    if (!parsed.success)
      return {
        kind: 'retry',
        error: new AppError('provider_error', undefined, {
          detail: 'comfyui upload answered 200 with a body that is not {name, subfolder, type}',
          cause: parsed.error
        })
      }
    // ComfyUI renames on a clash ("name (1).png"): the returned name is the one to load.
    const { name, subfolder } = parsed.data
    return { kind: 'done', name: subfolder === '' ? name : `${subfolder}/${name}` }
  }
  const error = comfyuiError(
    status,
    status === 413
      ? 'the reference is over ComfyUI’s --max-upload-size'
      : describeHostBody(parseJson(text.text), text.text) || 'upload refused'
  )
  // Uploads cost nothing and the name is fixed by the bytes: a retry can only overwrite with the same image.
  if (status !== 429 && status < 500) throw error
  return { kind: 'retry', error }
}

/** `POST /upload/image`, retried on a network failure, 429 or 5xx; the name to load the reference by. */
export async function uploadReferenceAsync(client: ComfyuiClient, reference: ReferenceImage, signal: AbortSignal): Promise<string> {
  const filename = await uploadNameAsync(reference)
  let lastError: AppError | undefined
  for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt += 1) {
    if (attempt > 1) await client.deps.sleepAsync(UPLOAD_RETRY_MS * 2 ** (attempt - 2), signal)
    const outcome = await uploadOnceAsync(client, reference, filename, signal)
    if (outcome.kind === 'done') return outcome.name
    lastError = outcome.error
  }
  throw lastError!
}
