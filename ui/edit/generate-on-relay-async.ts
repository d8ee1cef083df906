import { AppError } from '../../shared/errors'
import type { EditJob, EditRequestInput } from '../../shared/relay-api'
import type { UploadImage } from '../../client/relay-client'
import { waitForEditAsync } from '../../client/wait-for-edit-async'
import type { ResultContext } from './collect-results-async'
import type { EditDeps } from './edit-deps'

/**
 * Upload → generate: the paid part of an edit, the same for a whole frame and for an area. Once
 * the relay has the job it is remembered (so a closed panel loses nothing) and cancelling also
 * cancels it there. Resolves with the succeeded job; a failed one throws its error.
 */
export async function generateOnRelayAsync(
  request: EditRequestInput,
  images: UploadImage[],
  context: ResultContext,
  deps: EditDeps,
  signal: AbortSignal
): Promise<EditJob> {
  deps.onProgress({ stage: 'uploading', uploadBytes: images.reduce((sum, image) => sum + image.bytes.byteLength, 0) })
  const created = await deps.relay.createEditAsync(request, images, signal)
  deps.onJobCreated?.(created.id, context)
  deps.onProgress({ stage: 'generating', jobId: created.id, status: created.status })
  const cancelOnRelay = (): void => void deps.relay.cancelEditAsync(created.id).catch(() => undefined)
  signal.addEventListener('abort', cancelOnRelay, { once: true })
  let job: EditJob
  try {
    job = await waitForEditAsync(deps.relay, created.id, {
      signal,
      sleepAsync: deps.sleepAsync,
      now: deps.now,
      onUpdate: (update) => deps.onProgress({ stage: 'generating', jobId: update.id, status: update.status })
    })
  } finally {
    signal.removeEventListener('abort', cancelOnRelay)
  }
  if (job.status !== 'succeeded') throw new AppError(job.error?.code ?? 'provider_error', job.error?.message)
  return job
}
