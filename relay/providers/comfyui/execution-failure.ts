import { AppError, type RelayErrorCode } from '../../../shared/errors'
import { ExecutionError, type HistoryEntry } from './comfyui-answers'

/** The error of a history entry whose status is `error`, from its `execution_error` message. */
export function executionFailure(entry: HistoryEntry, promptId: string): AppError {
  const messages = entry.status?.messages ?? []
  const failed = messages.find(([event]) => event === 'execution_error')
  if (failed !== undefined) {
    const data = ExecutionError.safeParse(failed[1])
    const info = data.success ? data.data : {}
    const text = `${info.node_type ?? 'node'} ${info.node_id ?? ''}: ${info.exception_type ?? ''}: ${info.exception_message ?? ''}`.slice(
      0,
      500
    )
    // Out of GPU memory is the machine being busy, not the request being wrong.
    const code: RelayErrorCode = /OutOfMemory|out of memory/i.test(`${info.exception_type} ${info.exception_message}`)
      ? 'provider_unavailable'
      : 'provider_error'
    return new AppError(code, undefined, { detail: `comfyui prompt ${promptId} failed in ${text}` })
  }
  if (messages.some(([event]) => event === 'execution_interrupted')) {
    return new AppError('provider_unavailable', undefined, { detail: `comfyui prompt ${promptId} was interrupted at the host` })
  }
  return new AppError('provider_error', undefined, {
    detail: `comfyui prompt ${promptId} ended with status ${entry.status?.status_str ?? 'unknown'}`
  })
}
