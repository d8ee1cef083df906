import * as z from 'zod'
import { describeError } from '../../../shared/describe-error'
import { AppError } from '../../../shared/errors'
import type { ImageContentType } from '../../../shared/relay-api'
import type { ProviderDeps, ReferenceImage } from '../provider'
import { codeForStatus, describeHostBody, hostError } from '../shared/host-error'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { retryAfterMsOf, type SubmitOutcome } from '../shared/submit-with-retries-async'
import { REPLICATE_NAME as NAME, REPLICATE_PROVIDER as PROVIDER } from './replicate-context'
import { withRetryAfter } from './with-retry-after'
import { referenceValueAsync } from '../shared/reference-value-async'

/**
 * References for Replicate: inline data URIs up to 1 MB, Replicate's Files API above it
 * (docs/hosts.md, "Replicate"). Replicate's docs recommend data URIs only for files under 1 MB
 * (replicate.com/docs/topics/predictions/input-files), and its official client refuses inline
 * files over 10 MB in all and uploads them instead (replicate/replicate-javascript `lib/util.js`,
 * `transformFileInputs`, `MAX_DATA_URI_SIZE`). The upload is the client's `files.create`
 * (`lib/files.js`, sent by `request` in `index.js`):
 *
 * - `POST {REPLICATE_API_URL}/v1/files` with `Authorization: Bearer …` and a multipart body: the
 *   file in field `content` (with a file name), and `metadata`, a JSON part (`{}`); the boundary's
 *   Content-Type is left to fetch, as the client deletes its own.
 * - The answer is a file object; its `urls.get` (opaque, "shouldn't be inferred", README) goes
 *   into the model input. Replicate keeps uploaded files 24 hours; the relay deletes its own once
 *   the edit is over (`DELETE /v1/files/{id}`, the client's `deleteFile`: 204), so a designer's
 *   frame does not stay at the host for a day.
 *
 * An upload creates no prediction and is not billed, so a refused one (429, 503, a connection
 * that never opened) is tried again under the submit policy (shared/submit-with-retries-async.ts).
 */

export const REPLICATE_INLINE_MAX_BYTES = 1_000_000

/** `FileObject` in the client's `index.d.ts`, only what the relay reads. */
const FileObject = z.object({ id: z.string().min(1), urls: z.object({ get: z.url() }) })

const EXTENSIONS: Record<ImageContentType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }

export interface ReplicateFiles {
  /** The value for `input_image*`: a data URI, or the uploaded file's `urls.get` (its id added to `uploaded`). */
  inputValueAsync(reference: ReferenceImage, index: number, signal: AbortSignal, uploaded: string[]): Promise<string>
  /** Deletes these uploads, not awaited: the edit is over, so a failure is only logged (Replicate deletes them after 24 hours anyway). */
  deleteInBackground(ids: readonly string[]): void
}

const DELETE_TIMEOUT_MS = 10_000

/** `DELETE {filesUrl}/{id}`, not awaited; the answer is only logged. */
function deleteFileInBackground(filesUrl: string, token: string, deps: ProviderDeps, id: string): void {
  const fields = { provider: PROVIDER, fileId: id }
  hostFetchAsync(
    deps.fetch,
    `${filesUrl}/${encodeURIComponent(id)}`,
    { method: 'DELETE', headers: { authorization: `Bearer ${token}` } },
    AbortSignal.timeout(DELETE_TIMEOUT_MS)
  )
    .then(async (answer) => {
      if (answer.kind === 'network') return deps.log('provider.file_delete_failed', { ...fields, detail: answer.detail })
      await answer.response.body?.cancel().catch(() => undefined)
      deps.log(answer.response.status === 204 ? 'provider.file_deleted' : 'provider.file_delete_failed', {
        ...fields,
        status: answer.response.status
      })
    })
    .catch((error: unknown) => deps.log('provider.file_delete_failed', { ...fields, detail: describeError(error) }))
}

export function createReplicateFiles(apiUrl: string, token: string, deps: ProviderDeps): ReplicateFiles {
  const url = `${apiUrl.replace(/\/+$/, '')}/v1/files`

  async function attemptAsync(
    reference: ReferenceImage,
    index: number,
    attempt: number,
    signal: AbortSignal,
    uploaded: string[]
  ): Promise<SubmitOutcome<string>> {
    deps.log('provider.upload', { provider: PROVIDER, reference: index + 1, bytes: reference.bytes.byteLength, attempt })
    const form = new FormData()
    form.append(
      'content',
      new Blob([reference.bytes.slice()], { type: reference.contentType }),
      `reference-${index + 1}.${EXTENSIONS[reference.contentType]}`
    )
    form.append('metadata', new Blob([JSON.stringify({})], { type: 'application/json' }))
    const answer = await hostFetchAsync(
      deps.fetch,
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form },
      signal
    )
    if (answer.kind === 'network') {
      const error = new AppError('provider_unavailable', undefined, {
        detail: `${PROVIDER} file upload: ${answer.detail}`,
        cause: answer.error
      })
      return answer.reachedHost ? { kind: 'ambiguous', error } : { kind: 'refused', error }
    }
    const { response } = answer
    const read = await readTextAsync(response, signal)
    if (!response.ok) {
      const body = read.ok ? parseJson(read.text) : undefined
      const error = hostError(
        NAME,
        response.status,
        codeForStatus(response.status),
        `file upload: ${read.ok ? describeHostBody(body, read.text) : read.detail}`
      )
      if (response.status !== 429 && response.status !== 503) return { kind: 'final', error }
      const retryAfterMs = retryAfterMsOf(response, deps.now())
      return { kind: 'refused', error: response.status === 429 ? withRetryAfter(error, retryAfterMs) : error, retryAfterMs }
    }
    const parsed = read.ok ? FileObject.safeParse(parseJson(read.text)) : undefined
    if (parsed?.success !== true) {
      const detail = `${PROVIDER} file upload answered ${response.status} without a file object${read.ok ? '' : `: ${read.detail}`}`
      return { kind: 'final', error: new AppError('provider_error', undefined, { detail, cause: parsed?.error }) }
    }
    deps.log('provider.uploaded', { provider: PROVIDER, reference: index + 1, fileId: parsed.data.id })
    uploaded.push(parsed.data.id)
    return { kind: 'accepted', value: parsed.data.urls.get }
  }

  return {
    inputValueAsync: (reference, index, signal, uploaded) =>
      referenceValueAsync(
        reference,
        index,
        signal,
        { provider: PROVIDER, inlineMaxBytes: REPLICATE_INLINE_MAX_BYTES, attemptAsync: (...args) => attemptAsync(...args, uploaded) },
        deps
      ),
    deleteInBackground: (ids) => ids.forEach((id) => deleteFileInBackground(url, token, deps, id))
  }
}
