import { bytesToBase64 } from '../../images/bytes-to-base64'
import type { ProviderDeps, ReferenceImage } from '../provider'
import { submitWithRetriesAsync, type SubmitOutcome } from './submit-with-retries-async'

export interface ReferenceUpload {
  provider: string
  /** References up to this size go inline as a data URI; larger ones are uploaded. */
  inlineMaxBytes: number
  /** One upload attempt, classed like a submit (refused ones are sent again); the URL the host will read. */
  attemptAsync(reference: ReferenceImage, index: number, attempt: number, signal: AbortSignal): Promise<SubmitOutcome<string>>
}

/**
 * What a host that takes references as URLs gets for one: a data URI when it is small, else the URL
 * of an upload to the host's own storage (fal's storage, Replicate's Files API), as their official
 * clients do, retried only when the host refused it.
 */
export async function referenceValueAsync(
  reference: ReferenceImage,
  index: number,
  signal: AbortSignal,
  upload: ReferenceUpload,
  deps: Pick<ProviderDeps, 'sleepAsync' | 'log'>
): Promise<string> {
  if (reference.bytes.byteLength <= upload.inlineMaxBytes) return `data:${reference.contentType};base64,${bytesToBase64(reference.bytes)}`
  return submitWithRetriesAsync<string>(deps, signal, {
    attemptAsync: (attempt) => upload.attemptAsync(reference, index, attempt, signal),
    onRetry: ({ attempt, waitMs, error }) =>
      deps.log('provider.upload_retry', {
        provider: upload.provider,
        reference: index + 1,
        attempt,
        waitMs,
        code: error.code,
        detail: error.detail
      })
  })
}
