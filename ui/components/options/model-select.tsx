import { ModelId } from '../../../shared/models'
import type { ModelCapabilities } from '../../../shared/relay-api'
import { formatUsd } from '../../format/format-usd'
import type { OptionsPanelProps } from '../options-panel'

/** FLUX.2 is priced by the megapixel: its 1 MP price is where it starts. */
const perMegapixel = (model: ModelCapabilities): boolean => model.price.extraMpUsd > 0 || model.price.inputMpUsd > 0

export function ModelSelect({ choice, disabled, onChange }: OptionsPanelProps) {
  return (
    <>
      <label for="opt-model">Model</label>
      <select
        id="opt-model"
        disabled={disabled}
        value={choice.capabilities.id}
        onChange={(event) => onChange({ model: ModelId.parse(event.currentTarget.value) })}
      >
        {choice.models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.name} ·{' '}
            {model.priceUsd === 0 ? 'self-hosted' : perMegapixel(model) ? `from ${formatUsd(model.priceUsd)}` : formatUsd(model.priceUsd)}
          </option>
        ))}
      </select>
    </>
  )
}
