import type { Range } from '../../../shared/models'
import { numberOrNull } from './number-or-null'

export interface NumberFieldProps {
  id: string
  label: string
  value: number | null
  range: Range
  step: number
  disabled: boolean
  onChange: (value: number | null) => void
}

/** Blank means the host's default, shown as the placeholder. */
export function NumberField({ id, label, value, range, step, disabled, onChange }: NumberFieldProps) {
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={range.min}
        max={range.max}
        step={step}
        placeholder={`${range.default} (default)`}
        title={`${range.min}–${range.max}`}
        disabled={disabled}
        value={value === null ? '' : String(value)}
        onChange={(event) => {
          const next = numberOrNull(event.currentTarget.value, range, step === 1)
          if (next !== undefined) onChange(next)
        }}
      />
    </>
  )
}
