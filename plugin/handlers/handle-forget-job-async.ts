import { forgetJobAsync } from '../storage/forget-job-async'
import type { MessageHandler } from './handler-context'

export const handleForgetJobAsync: MessageHandler<'forget-job'> = async (message, { figma, deps }) => {
  await forgetJobAsync(figma.clientStorage, message.jobId, deps.now())
}
