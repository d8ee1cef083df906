import { AspectRatio, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { ModelId, ProviderId, type Range } from '../../shared/models'
import { OutputFormat } from '../../shared/relay-api'
import type { EditOptions } from '../../shared/settings'
import { formatUsd } from '../format'
import type { Choice } from '../state/resolve-choice'

export interface OptionsPanelProps {
  options: EditOptions
  /** The host and model in use and what they support: only those settings are offered. */
  choice: Choice
  disabled: boolean
  onChange: (options: Partial<EditOptions>) => void
}

const FORMAT_LABELS: Record<OutputFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' }

function numberOrNull(value: string, range: Range, integer: boolean): number | null | undefined {
  const trimmed = value.trim()
  if (trimmed === '') return null
  const number = Number(trimmed)
  if (!Number.isFinite(number) || (integer && !Number.isInteger(number)) || number < range.min || number > range.max) return undefined
  return number
}

interface NumberFieldProps {
  id: string
  label: string
  value: number | null
  range: Range
  step: number
  disabled: boolean
  onChange: (value: number | null) => void
}

/** Blank means the host's default, shown as the placeholder. */
function NumberField({ id, label, value, range, step, disabled, onChange }: NumberFieldProps) {
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

export function OptionsPanel({ options, choice, disabled, onChange }: OptionsPanelProps) {
  const capabilities = choice.capabilities
  const safety = capabilities.safetyTolerance
  const format = capabilities.outputFormats.includes(options.outputFormat) ? options.outputFormat : capabilities.outputFormats[0]!
  const variants = Array.from({ length: capabilities.maxVariants }, (_, index) => index + 1)

  function handleSeed(value: string): void {
    const seed = numberOrNull(value, { min: 0, max: capabilities.seedMax, default: 0 }, true)
    if (seed !== undefined) onChange({ seed })
  }

  return (
    <details class="card options">
      <summary>Options</summary>
      <div class="options-grid">
        {choice.hosts.length > 1 && (
          <>
            <label for="opt-host">Image host</label>
            <select id="opt-host" disabled={disabled} value={choice.host} onChange={(event) => onChange({ provider: ProviderId.parse(event.currentTarget.value) })}>
              {choice.hosts.map((host) => (
                <option key={host.id} value={host.id}>
                  {host.name}
                </option>
              ))}
            </select>
          </>
        )}

        <label for="opt-model">Model</label>
        <select id="opt-model" disabled={disabled} value={capabilities.id} onChange={(event) => onChange({ model: ModelId.parse(event.currentTarget.value) })}>
          {choice.models.map((model) => (
            <option key={model.id} value={model.id}>
              {model.name} · {model.priceUsd === 0 ? 'self-hosted' : formatUsd(model.priceUsd)}
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
        <select id="opt-variants" disabled={disabled} value={String(Math.min(options.numImages, capabilities.maxVariants))} onChange={(event) => onChange({ numImages: Number(event.currentTarget.value) })}>
          {variants.map((count) => (
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
          max={capabilities.seedMax}
          step={1}
          inputMode="numeric"
          placeholder="Random"
          disabled={disabled}
          value={options.seed === null ? '' : String(options.seed)}
          onChange={(event) => handleSeed(event.currentTarget.value)}
        />

        {safety !== null && (
          <>
            <label for="opt-safety">Safety tolerance</label>
            <select id="opt-safety" disabled={disabled} value={String(Math.min(Math.max(options.safetyTolerance, safety.min), safety.max))} onChange={(event) => onChange({ safetyTolerance: Number(event.currentTarget.value) })}>
              {Array.from({ length: safety.max - safety.min + 1 }, (_, index) => safety.min + index).map((level) => (
                <option key={level} value={String(level)}>
                  {level}
                  {level === safety.min ? ' · strictest' : level === safety.max ? ' · most permissive here' : ''}
                </option>
              ))}
            </select>
          </>
        )}

        {capabilities.guidance !== null && (
          <NumberField id="opt-guidance" label="Guidance" value={options.guidance} range={capabilities.guidance} step={0.5} disabled={disabled} onChange={(guidance) => onChange({ guidance })} />
        )}
        {capabilities.steps !== null && <NumberField id="opt-steps" label="Steps" value={options.steps} range={capabilities.steps} step={1} disabled={disabled} onChange={(steps) => onChange({ steps })} />}

        <label for="opt-format">Format</label>
        <select id="opt-format" disabled={disabled} value={format} onChange={(event) => onChange({ outputFormat: OutputFormat.parse(event.currentTarget.value) })}>
          {capabilities.outputFormats.map((id) => (
            <option key={id} value={id}>
              {FORMAT_LABELS[id]}
            </option>
          ))}
        </select>

        {capabilities.outputQuality !== null && format !== 'png' && (
          <NumberField id="opt-quality" label="Quality" value={options.outputQuality} range={capabilities.outputQuality} step={1} disabled={disabled} onChange={(outputQuality) => onChange({ outputQuality })} />
        )}

        {capabilities.promptUpsampling && (
          <>
            <span />
            <label class="checkbox">
              <input type="checkbox" disabled={disabled} checked={options.promptUpsampling} onChange={(event) => onChange({ promptUpsampling: event.currentTarget.checked })} />
              Let the model expand the instruction
            </label>
          </>
        )}
      </div>
    </details>
  )
}
