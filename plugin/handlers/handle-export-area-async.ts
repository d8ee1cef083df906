import { AppError } from '../../shared/errors'
import { toErrorInfo } from '../../shared/to-error-info'
import { exportAreaAsync } from '../area/export-area-async'
import type { MessageHandler } from './handler-context'

export const handleExportAreaAsync: MessageHandler<'export-area'> = async (message, { figma, deps, canceled, post }) => {
  try {
    const exported = await exportAreaAsync(figma, message)
    if (!canceled.has(message.requestId)) post({ type: 'area-exported', requestId: message.requestId, ...exported })
  } catch (error) {
    deps.log('area export failed', error instanceof AppError ? error.detail : error)
    post({ type: 'export-failed', requestId: message.requestId, error: toErrorInfo(error, 'export_failed') })
  }
}
