import { useEffect, useRef } from 'preact/hooks'
import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../../shared/limits'

export interface PromptBoxProps {
  value: string
  disabled: boolean
  onInput: (value: string) => void
  onSubmit: () => void
  /** Selects this range once (a new serial each time), e.g. the placeholder of a template. */
  selection?: { start: number; end: number; serial: number } | undefined
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

export function PromptBox({ value, disabled, onInput, onSubmit, selection }: PromptBoxProps) {
  const area = useRef<HTMLTextAreaElement>(null)
  useEffect(() => {
    if (selection === undefined || area.current === null) return
    area.current.focus()
    area.current.setSelectionRange(selection.start, selection.end)
  }, [selection])
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
        ref={area}
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
