import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * With no RELAY_TOKENS the relay makes its own token and keeps it in `.relay-token`, so the token
 * pasted into the plugin keeps working after a restart. The file is git-ignored and owner-only.
 */
export function ensureLocalToken(path = '.relay-token'): string {
  if (existsSync(path)) {
    const existing = readFileSync(path, 'utf8').trim()
    if (/^[A-Za-z0-9_-]{16,}$/.test(existing)) return existing
  }
  const token = `ke_${randomBytes(24).toString('base64url')}`
  writeFileSync(path, `${token}\n`, { mode: 0o600 })
  return token
}
