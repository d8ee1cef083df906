import { PRESETS } from '../../shared/presets'

export interface PresetChipsProps {
  disabled: boolean
  onPick: (template: string) => void
}

/** Templates for common jobs; they fill the instruction with visible, editable text. */
export function PresetChips({ disabled, onPick }: PresetChipsProps) {
  return (
    <div class="presets" role="group" aria-label="Instruction templates">
      {PRESETS.map((preset) => (
        <button
          key={preset.id}
          type="button"
          class="chip"
          disabled={disabled}
          title={preset.template.replace(/[{}]/g, '')}
          onClick={() => onPick(preset.template)}
        >
          {preset.label}
        </button>
      ))}
    </div>
  )
}
