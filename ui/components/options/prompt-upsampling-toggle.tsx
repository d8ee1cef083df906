import type { OptionsPanelProps } from '../options-panel'

/** Shown only for models that can expand the instruction. */
export function PromptUpsamplingToggle({ options, choice, disabled, onChange }: OptionsPanelProps) {
  if (!choice.capabilities.promptUpsampling) return null
  return (
    <>
      <span />
      <label class="checkbox">
        <input
          type="checkbox"
          disabled={disabled}
          checked={options.promptUpsampling}
          onChange={(event) => onChange({ promptUpsampling: event.currentTarget.checked })}
        />
        Let the model expand the instruction
      </label>
    </>
  )
}
