import type { ProviderEditInput } from '../provider'
import type { VariantCall, VariantCallResult } from '../shared/run-variants-async'
import { buildFalInput } from './build-fal-input'
import { cancelFalRequest } from './cancel-fal-request'
import { collectFalImagesAsync } from './collect-fal-images-async'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER } from './fal-error'
import { fetchFalOutputAsync } from './fetch-fal-output-async'
import { submitFalAsync } from './submit-fal-async'
import { waitForFalCompletionAsync } from './wait-for-fal-completion-async'

/** What every call of one edit shares: the edit, its endpoint, and its references as fal takes them. */
export interface FalEdit {
  input: ProviderEditInput
  endpoint: string
  /** Data URIs or uploaded file URLs, one per reference (fal-storage.ts). */
  images: readonly string[]
}

/**
 * One host call, as the variant engine runs it: submit, follow `status_url` to COMPLETED, GET
 * `response_url`, collect the images. A call that ends before COMPLETED (a deadline, a cancel, a
 * status that cannot be read) cancels its own request at fal; a sibling's failure never does.
 */
export async function runFalCallAsync(connection: FalConnection, edit: FalEdit, call: VariantCall): Promise<VariantCallResult> {
  const { signal } = edit.input
  const job = await submitFalAsync(connection, edit.endpoint, buildFalInput(edit.input, call, edit.images), signal)
  connection.deps.log('provider.submitted', {
    provider: FAL_PROVIDER,
    endpoint: edit.endpoint,
    requestId: job.request_id,
    queuePosition: job.queue_position
  })
  call.onProgress({ status: 'queued' })
  let completed = false
  try {
    for (;;) {
      await waitForFalCompletionAsync(connection, job, call.onProgress, signal)
      completed = true
      const output = await fetchFalOutputAsync(connection, job, signal)
      // COMPLETED on status_url, yet "still in progress" on response_url: follow the status again.
      if (output !== 'pending') return await collectFalImagesAsync(connection, job, output, call, signal)
      completed = false
    }
  } catch (error) {
    if (!completed) cancelFalRequest(connection, job)
    if (signal.aborted) throw signal.reason
    throw error
  }
}
