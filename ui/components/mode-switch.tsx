import type { SelectionMode } from '../state/panel-state'

export interface ModeSwitchProps {
  count: number
  mode: SelectionMode
  maxReferences: number
  disabled: boolean
  onChange: (mode: SelectionMode) => void
}

/** With several frames: one edit with them all as references, or each frame edited on its own. */
export function ModeSwitch({ count, mode, maxReferences, disabled, onChange }: ModeSwitchProps) {
  const togetherAllowed = count <= maxReferences
  return (
    <div class="mode-switch" role="radiogroup" aria-label="How to edit the selected frames">
      <label class="radio">
        <input type="radio" name="mode" checked={mode === 'each'} disabled={disabled} onChange={() => onChange('each')} />
        Edit each of the {count} frames on its own
      </label>
      <label class="radio">
        <input
          type="radio"
          name="mode"
          checked={mode === 'together'}
          disabled={disabled || !togetherAllowed}
          onChange={() => onChange('together')}
        />
        One edit with all {count} as references{togetherAllowed ? '' : ` (this host takes ${maxReferences})`}
      </label>
    </div>
  )
}
