import type { RelayAccess } from '../../../shared/relay-access'

export interface RelayUrlFieldProps {
  relayUrl: string
  /** Why the typed URL is not usable; undefined when it is. */
  urlError: string | undefined
  access: RelayAccess
  /** What Figma's networkAccess means for this relay; undefined when it is allowed. */
  accessNote: string | undefined
  onInput: (relayUrl: string) => void
}

export function RelayUrlField({ relayUrl, urlError, access, accessNote, onInput }: RelayUrlFieldProps) {
  return (
    <div class="field">
      <label for="relay-url">Relay URL</label>
      <input
        id="relay-url"
        type="url"
        value={relayUrl}
        spellcheck={false}
        aria-invalid={urlError !== undefined}
        aria-describedby={accessNote === undefined ? 'relay-url-hint' : 'relay-url-hint relay-url-access'}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
      <div id="relay-url-hint" class={`field-hint ${urlError === undefined ? '' : 'danger'}`}>
        {urlError ?? 'Your team’s relay, or http://localhost:8787 when you run it yourself.'}
      </div>
      {accessNote !== undefined && (
        <p id="relay-url-access" class={access === 'blocked' ? 'warning' : 'hint'} role="status">
          {accessNote}
        </p>
      )}
    </div>
  )
}
