import { AppError } from '../../../shared/errors'
import { downloadResultAsync } from '../shared/download-result-async'
import { BFL_PROVIDER, type BflContext } from './bfl-context'

/** Downloads a Ready task's signed `result.sample` at once (it is valid 10 minutes), never with the key. */
export async function downloadBflSampleAsync(
  context: BflContext,
  taskId: string,
  sample: string,
  signal: AbortSignal
): Promise<Uint8Array> {
  try {
    return await downloadResultAsync(sample, { fetch: context.deps.fetch, signal, hostBaseUrl: context.baseUrl })
  } catch (error) {
    // The download's own error stays whole as the cause; the code is the download's.
    if (error instanceof AppError)
      throw new AppError(error.code, undefined, {
        detail: context.redact(`${BFL_PROVIDER}: result of ${taskId} (valid 10 minutes)`),
        cause: error
      })
    throw error
  }
}
