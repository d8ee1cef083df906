import { useState } from 'preact/hooks'

export interface TokenFieldProps {
  token: string
  onInput: (token: string) => void
}

export function TokenField({ token, onInput }: TokenFieldProps) {
  const [showToken, setShowToken] = useState(false)
  return (
    <div class="field">
      <label for="relay-token">Access token</label>
      <div class="row">
        {showToken ? (
          <input
            id="relay-token"
            type="text"
            value={token}
            spellcheck={false}
            autocomplete="off"
            onInput={(event) => onInput(event.currentTarget.value)}
          />
        ) : (
          <input
            id="relay-token"
            type="password"
            value={token}
            spellcheck={false}
            autocomplete="off"
            onInput={(event) => onInput(event.currentTarget.value)}
          />
        )}
        <button type="button" class="secondary" aria-pressed={showToken} onClick={() => setShowToken(!showToken)}>
          {showToken ? 'Hide' : 'Show'}
        </button>
      </div>
      <div class="field-hint">Kept on this computer in Figma’s plugin storage.</div>
    </div>
  )
}
