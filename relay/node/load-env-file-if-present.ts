import { existsSync } from 'node:fs'
import { loadEnvFile } from 'node:process'

/** `.env` in the working directory, if present; variables already set in the environment win. */
export function loadEnvFileIfPresent(path = '.env'): boolean {
  if (!existsSync(path)) return false
  loadEnvFile(path)
  return true
}
