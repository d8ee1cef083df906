import * as z from 'zod'
import { AppError, type RelayErrorCode } from '../../../shared/errors'
import type { ImageContentType } from '../../../shared/relay-api'
import { FAL_PROVIDER, falError } from './fal-error'
import type { ProviderDeps, ReferenceImage } from '../provider'
import { codeForStatus, hostError } from '../shared/host-error'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { refusalOf, type SubmitOutcome } from '../shared/submit-with-retries-async'
import { referenceValueAsync, type ReferenceUpload } from '../shared/reference-value-async'

/**
 * References for fal: small ones inline as data URIs, larger ones through fal's storage, as fal's
 * own client does with every file (fal-ai/fal-js `libs/client/src/storage.ts`, `createStorageClient`
 * and `initiateUpload`; docs/hosts.md, "fal"):
 *
 * 1. `POST {FAL_STORAGE_URL}/storage/upload/initiate?storage_type=fal-cdn-v3` with
 *    `Authorization: Key …` and JSON `{"content_type","file_name"}` (the client's
 *    `dispatchRequest`, `libs/client/src/request.ts`); fal answers `{upload_url, file_url}`.
 * 2. `PUT upload_url` with the bytes and their Content-Type, and no Authorization: the URL is
 *    presigned (the client uses its bare `fetch` there), so fal's key never goes to it.
 * 3. `file_url` goes into the model input in place of the data URI.
 *
 * Files over 90 MB take the client's multipart path; the relay's references are a few MB at most.
 * An upload is not billed, so a refused one (429, 503, a connection that never opened) is tried
 * again under the submit policy (shared/submit-with-retries-async.ts).
 */

/**
 * Data URIs are one of the forms fal's models take, but fal's client never sends a file that way
 * and they grow the submit by a third; references above this go through storage. The same 1 MB
 * line Replicate draws for its data URIs (docs/hosts.md, "Replicate").
 */
export const FAL_INLINE_MAX_BYTES = 1_000_000

/** `InitiateUploadResult` in storage.ts. */
const InitiatedUpload = z.object({ upload_url: z.url(), file_url: z.url() })

const EXTENSIONS: Record<ImageContentType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

/** A presigned PUT answers for the signature, not fal's key: a 401/403 there is not a key problem. */
function putCode(status: number): RelayErrorCode {
  return status === 401 || status === 402 || status === 403 ? 'provider_error' : codeForStatus(status)
}

export interface FalStorage {
  /** The value for `image_url` / `image_urls[]`: a data URI, or the uploaded file's URL. */
  imageUrlAsync(reference: ReferenceImage, index: number, signal: AbortSignal): Promise<string>
}

export function createFalStorage(storageUrl: string, key: string, deps: ProviderDeps): FalStorage {
  const initiateUrl = `${storageUrl.replace(/\/+$/, '')}/storage/upload/initiate?storage_type=fal-cdn-v3`

  async function attemptAsync(
    reference: ReferenceImage,
    index: number,
    attempt: number,
    signal: AbortSignal
  ): Promise<SubmitOutcome<string>> {
    deps.log('provider.upload', { provider: FAL_PROVIDER, reference: index + 1, bytes: reference.bytes.byteLength, attempt })
    const body = JSON.stringify({
      content_type: reference.contentType,
      file_name: `reference-${index + 1}.${EXTENSIONS[reference.contentType]}`
    })
    const headers = { authorization: `Key ${key}`, accept: 'application/json', 'content-type': 'application/json' }
    const initiated = await hostFetchAsync(deps.fetch, initiateUrl, { method: 'POST', headers, body }, signal)
    if (initiated.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, {
        detail: `fal storage initiate: ${initiated.detail}`,
        cause: initiated.error
      })
      return initiated.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error }
    }
    const { response } = initiated
    const read = await readTextAsync(response, signal)
    if (!response.ok) {
      const error = falError(response, read.ok ? read.text : '', 'storage initiate', deps.now())
      return refusalOf(response, error, deps.now()) ?? { kind: 'final', error }
    }
    const parsed = read.ok ? InitiatedUpload.safeParse(parseJson(read.text)) : undefined
    if (parsed?.success !== true) {
      const detail = `fal storage initiate answered ${response.status} without upload_url and file_url${read.ok ? '' : ` (${read.detail})`}`
      return { kind: 'final', error: new AppError('provider_error', undefined, { detail, cause: parsed?.error }) }
    }

    // The presigned URL carries its own signature: fal's key stays with fal's own origins.
    const put = await hostFetchAsync(
      deps.fetch,
      parsed.data.upload_url,
      { method: 'PUT', headers: { 'content-type': reference.contentType }, body: reference.bytes.slice() },
      signal
    )
    if (put.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, { detail: `fal storage PUT: ${put.detail}`, cause: put.error })
      return put.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error }
    }
    const putRead = await readTextAsync(put.response, signal)
    const status = put.response.status
    if (!put.response.ok) {
      const error = hostError(
        FAL_PROVIDER,
        status,
        putCode(status),
        `storage PUT${status === 403 ? ' (presigned URL expired?)' : ''}: ${putRead.ok ? putRead.text.slice(0, 200) : putRead.detail}`
      )
      return refusalOf(put.response, error, deps.now()) ?? { kind: 'final', error }
    }
    return { kind: 'accepted', value: parsed.data.file_url }
  }

  const upload: ReferenceUpload = { provider: FAL_PROVIDER, inlineMaxBytes: FAL_INLINE_MAX_BYTES, attemptAsync }
  return {
    imageUrlAsync: (reference, index, signal) => referenceValueAsync(reference, index, signal, upload, deps)
  }
}
