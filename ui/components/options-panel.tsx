import { AspectRatio, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { MAX_VARIANTS, SAFETY_TOLERANCE_MAX, SEED_MAX } from '../../shared/limits'
import { MODELS, ModelId } from '../../shared/models'
import { OutputFormat } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'

export interface OptionsPanelProps {
  options: EditOptions
  disabled: boolean
  /** Models the relay can serve; all catalogue models while unknown. */
  models: ModelId[]
  onChange: (options: Partial<EditOptions>) => void
}

const VARIANTS = Array.from({ length: MAX_VARIANTS }, (_, index) => index + 1)
const TOLERANCES = Array.from({ length: SAFETY_TOLERANCE_MAX + 1 }, (_, index) => index)

export function OptionsPanel({ options, disabled, models, onChange }: OptionsPanelProps) {
  function handleSeed(value: string): void {
    const trimmed = value.trim()
    if (trimmed === '') return onChange({ seed: null })
    const seed = Number(trimmed)
    if (Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX) onChange({ seed })
  }
  return (
    <details class="card options">
      <summary>Options</summary>
      <div class="options-grid">
        <label for="opt-model">Model</label>
        <select id="opt-model" disabled={disabled} value={options.model} onChange={(event) => onChange({ model: ModelId.parse(event.currentTarget.value) })}>
          {models.map((id) => (
            <option key={id} value={id}>
              {MODELS[id].name} · ${MODELS[id].priceUsd.toFixed(2)}
            </option>
          ))}
        </select>

        <label for="opt-aspect">Aspect ratio</label>
        <select id="opt-aspect" disabled={disabled} value={options.aspectRatio} onChange={(event) => onChange({ aspectRatio: AspectRatio.parse(event.currentTarget.value) })}>
          <option value="auto">Auto (nearest to the frame)</option>
          {KONTEXT_SIZES.map((size) => (
            <option key={size.ratio} value={size.ratio}>
              {size.ratio} · {size.width}×{size.height}
            </option>
          ))}
        </select>

        <label for="opt-variants">Variants</label>
        <select id="opt-variants" disabled={disabled} value={String(options.numImages)} onChange={(event) => onChange({ numImages: Number(event.currentTarget.value) })}>
          {VARIANTS.map((count) => (
            <option key={count} value={String(count)}>
              {count}
            </option>
          ))}
        </select>

        <label for="opt-seed">Seed</label>
        <input
          id="opt-seed"
          type="number"
          min={0}
          max={SEED_MAX}
          step={1}
          inputMode="numeric"
          placeholder="Random"
          disabled={disabled}
          value={options.seed === null ? '' : String(options.seed)}
          onChange={(event) => handleSeed(event.currentTarget.value)}
        />

        <label for="opt-safety">Safety tolerance</label>
        <select id="opt-safety" disabled={disabled} value={String(options.safetyTolerance)} onChange={(event) => onChange({ safetyTolerance: Number(event.currentTarget.value) })}>
          {TOLERANCES.map((level) => (
            <option key={level} value={String(level)}>
              {level}
              {level === 0 ? ' · strictest' : level === SAFETY_TOLERANCE_MAX ? ' · most permissive' : ''}
            </option>
          ))}
        </select>

        <label for="opt-format">Format</label>
        <select id="opt-format" disabled={disabled} value={options.outputFormat} onChange={(event) => onChange({ outputFormat: OutputFormat.parse(event.currentTarget.value) })}>
          <option value="png">PNG</option>
          <option value="jpeg">JPEG</option>
        </select>

        <span />
        <label class="checkbox">
          <input type="checkbox" disabled={disabled} checked={options.promptUpsampling} onChange={(event) => onChange({ promptUpsampling: event.currentTarget.checked })} />
          Let the model expand the instruction
        </label>
      </div>
    </details>
  )
}
