import type { MessageHandler } from './handler-context'

export const handleCancelAsync: MessageHandler<'cancel'> = async (message, { canceled }) => {
  canceled.add(message.requestId)
}
