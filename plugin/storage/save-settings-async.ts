import { SETTINGS_STORAGE_KEY, Settings } from '../../shared/settings'
import type { FigmaPort } from '../figma-port'

export async function saveSettingsAsync(storage: FigmaPort['clientStorage'], settings: Settings): Promise<Settings> {
  const clean = Settings.parse(settings)
  await storage.setAsync(SETTINGS_STORAGE_KEY, clean)
  return clean
}
