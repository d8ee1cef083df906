import type { OptionsPanelProps } from '../options-panel'
import { numberOrNull } from './number-or-null'

/** Blank means a random seed. */
export function SeedField({ options, choice, disabled, onChange }: OptionsPanelProps) {
  const seedMax = choice.capabilities.seedMax

  function handleSeed(value: string): void {
    const seed = numberOrNull(value, { min: 0, max: seedMax, default: 0 }, true)
    if (seed !== undefined) onChange({ seed })
  }

  return (
    <>
      <label for="opt-seed">Seed</label>
      <input
        id="opt-seed"
        type="number"
        min={0}
        max={seedMax}
        step={1}
        inputMode="numeric"
        placeholder="Random"
        disabled={disabled}
        value={options.seed === null ? '' : String(options.seed)}
        onChange={(event) => handleSeed(event.currentTarget.value)}
      />
    </>
  )
}
