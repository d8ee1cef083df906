import { rememberJobAsync } from '../storage/remember-job-async'
import type { MessageHandler } from './handler-context'

export const handleRememberJobAsync: MessageHandler<'remember-job'> = async (message, { figma, deps }) => {
  await rememberJobAsync(figma.clientStorage, message.job, deps.now())
}
