import type { OptionsPanelProps } from '../options-panel'

export function VariantsSelect({ options, choice, disabled, onChange }: OptionsPanelProps) {
  const maxVariants = choice.capabilities.maxVariants
  const variants = Array.from({ length: maxVariants }, (_, index) => index + 1)
  return (
    <>
      <label for="opt-variants">Variants</label>
      <select
        id="opt-variants"
        disabled={disabled}
        value={String(Math.min(options.numImages, maxVariants))}
        onChange={(event) => onChange({ numImages: Number(event.currentTarget.value) })}
      >
        {variants.map((count) => (
          <option key={count} value={String(count)}>
            {count}
          </option>
        ))}
      </select>
    </>
  )
}
