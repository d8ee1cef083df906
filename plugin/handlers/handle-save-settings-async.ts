import { saveSettingsAsync } from '../storage/save-settings-async'
import type { MessageHandler } from './handler-context'

export const handleSaveSettingsAsync: MessageHandler<'save-settings'> = async (message, { figma, post }) => {
  const settings = await saveSettingsAsync(figma.clientStorage, message.settings)
  post({ type: 'settings-saved', settings })
}
