import { DEFAULT_SETTINGS, SETTINGS_STORAGE_KEY, Settings } from '../../shared/settings'
import type { FigmaPort } from '../figma-port'

type Storage = FigmaPort['clientStorage']

/** Stored settings are parsed field by field; anything unreadable falls back to its default. */
export async function loadSettingsAsync(storage: Storage): Promise<Settings> {
  const raw = await storage.getAsync(SETTINGS_STORAGE_KEY)
  const parsed = Settings.safeParse(raw ?? {})
  return parsed.success ? parsed.data : DEFAULT_SETTINGS
}

export async function saveSettingsAsync(storage: Storage, settings: Settings): Promise<Settings> {
  const clean = Settings.parse(settings)
  await storage.setAsync(SETTINGS_STORAGE_KEY, clean)
  return clean
}
