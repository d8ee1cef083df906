import type { OptionsPanelProps } from '../options-panel'

/** Shown only for models with a safety tolerance. */
export function SafetySelect({ options, choice, disabled, onChange }: OptionsPanelProps) {
  const safety = choice.capabilities.safetyTolerance
  if (safety === null) return null
  return (
    <>
      <label for="opt-safety">Safety tolerance</label>
      <select
        id="opt-safety"
        disabled={disabled}
        value={String(Math.min(Math.max(options.safetyTolerance, safety.min), safety.max))}
        onChange={(event) => onChange({ safetyTolerance: Number(event.currentTarget.value) })}
      >
        {Array.from({ length: safety.max - safety.min + 1 }, (_, index) => safety.min + index).map((level) => (
          <option key={level} value={String(level)}>
            {level}
            {level === safety.min ? ' · strictest' : level === safety.max ? ' · most permissive here' : ''}
          </option>
        ))}
      </select>
    </>
  )
}
