import type { MessageHandler } from './handler-context'

export const handleNotifyAsync: MessageHandler<'notify'> = async (message, { figma }) => {
  // Figma truncates past 100 characters itself (plugin typings: PluginAPI.notify).
  figma.notify(message.message, { error: message.error })
}
