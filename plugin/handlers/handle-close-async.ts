import type { MessageHandler } from './handler-context'

export const handleCloseAsync: MessageHandler<'close'> = async (message, { figma, cancelPendingSelection }) => {
  cancelPendingSelection()
  figma.closePlugin(message.message)
}
