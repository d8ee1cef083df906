import { useState } from 'preact/hooks'
import { relayAccess, type NetworkAccess, type RelayAccess } from '../../shared/relay-access'
import { RelayUrl, type Settings } from '../../shared/settings'
import { MANIFEST_NETWORK_ACCESS } from '../plugin/manifest-network-access'
import type { Connection } from '../state/panel-state'
import { ConnectionStatus } from './connection-status'
import { RelayUrlField } from './settings/relay-url-field'
import { TokenField } from './settings/token-field'

export interface SettingsViewProps {
  settings: Settings
  connection: Connection
  onSave: (settings: Settings) => void
  onTest: (relayUrl: string, token: string) => void
  onBack: () => void
  /** The manifest's networkAccess; the built manifest's by default. */
  networkAccess?: NetworkAccess
}

function listOf(domains: ReadonlyArray<string>): string {
  return domains.length === 0 ? 'no address' : domains.join(', ')
}

/** What the designer should know before saving a relay Figma would not let the panel reach. */
const ACCESS_NOTES: Record<Exclude<RelayAccess, 'allowed'>, (origin: string, access: NetworkAccess) => string> = {
  'dev-only': (origin, access) =>
    `${origin} is allowed only while the plugin runs in development. A published build may reach only ${listOf(access.allowedDomains)}.`,
  blocked: (origin, access) =>
    `Figma will block ${origin}: this build of the plugin may reach only ${listOf([...access.allowedDomains, ...(access.devAllowedDomains ?? [])])}. Ask whoever builds it to set RELAY_ORIGIN to your relay (see the README).`
}

export function SettingsView({ settings, connection, onSave, onTest, onBack, networkAccess = MANIFEST_NETWORK_ACCESS }: SettingsViewProps) {
  const [relayUrl, setRelayUrl] = useState(settings.relayUrl)
  const [token, setToken] = useState(settings.token)
  const url = RelayUrl.safeParse(relayUrl)
  const urlError = url.success ? undefined : (url.error.issues[0]?.message ?? 'Enter a full URL')
  // Figma applies the manifest's networkAccess to the panel: say so before a save that cannot work.
  const access = url.success ? relayAccess(url.data, networkAccess) : 'allowed'
  const accessNote = url.success && access !== 'allowed' ? ACCESS_NOTES[access](url.data, networkAccess) : undefined

  function save(): void {
    if (url.success) onSave({ ...settings, relayUrl: url.data, token: token.trim() })
  }

  // Not a form submit: the plugin iframe is sandboxed, and without allow-forms a submit never fires.
  function handleKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement) {
      event.preventDefault()
      save()
    }
  }

  return (
    <section class="settings" aria-label="Settings" onKeyDown={handleKeyDown}>
      {settings.token === '' && (
        <p class="card hint">
          Kontext Edit sends your frames to your team’s relay, which calls the image model. Enter the relay’s address and the access token
          it printed when it started (see the README).
        </p>
      )}
      <RelayUrlField relayUrl={relayUrl} urlError={urlError} access={access} accessNote={accessNote} onInput={setRelayUrl} />
      <TokenField token={token} onInput={setToken} />
      <ConnectionStatus connection={connection} />
      <div class="row end">
        <button type="button" class="secondary" disabled={!url.success} onClick={() => url.success && onTest(url.data, token.trim())}>
          Test connection
        </button>
        <button type="button" class="primary" disabled={!url.success} onClick={save}>
          Save
        </button>
      </div>
      {settings.token !== '' && (
        <div class="row">
          <button type="button" class="link" onClick={onBack}>
            ← Back to editing
          </button>
        </div>
      )}
    </section>
  )
}
