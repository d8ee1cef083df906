import { DEFAULT_SETTINGS, SETTINGS_STORAGE_KEY, Settings } from '../../shared/settings'
import type { FigmaPort } from '../figma-port'

/** Stored settings are parsed field by field; anything unreadable falls back to its default. */
export async function loadSettingsAsync(storage: FigmaPort['clientStorage']): Promise<Settings> {
  const raw = await storage.getAsync(SETTINGS_STORAGE_KEY)
  const parsed = Settings.safeParse(raw ?? {})
  return parsed.success ? parsed.data : DEFAULT_SETTINGS
}
