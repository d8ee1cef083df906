import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../../shared/limits'

export interface PromptBoxProps {
  value: string
  disabled: boolean
  onInput: (value: string) => void
  onSubmit: () => void
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

export function PromptBox({ value, disabled, onInput, onSubmit }: PromptBoxProps) {
  const length = value.trim().length
  const tooLong = length > PROMPT_MAX_CHARS
  function handleKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
      event.preventDefault()
      onSubmit()
    }
  }
  return (
    <div class="field">
      <label for="prompt">Instruction</label>
      <textarea
        id="prompt"
        rows={4}
        value={value}
        disabled={disabled}
        placeholder="Replace 'Spring Sale' with 'Summer Sale' while keeping the same font style and color"
        aria-describedby="prompt-hint"
        aria-invalid={tooLong}
        onInput={(event) => onInput(event.currentTarget.value)}
        onKeyDown={handleKeyDown}
      />
      <div id="prompt-hint" class="field-hint">
        <span>{isMac ? '⌘' : 'Ctrl'}+Enter to run · Say what to change and what to keep</span>
        <span class={tooLong ? 'danger' : length > 0 && length < PROMPT_MIN_CHARS ? 'danger' : ''}>
          {length} / {PROMPT_MAX_CHARS}
        </span>
      </div>
    </div>
  )
}
