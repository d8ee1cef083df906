import { ModelId } from '../../../shared/models'
import { formatUsd } from '../../format/format-usd'
import type { OptionsPanelProps } from '../options-panel'

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
            {model.name} · {model.priceUsd === 0 ? 'self-hosted' : formatUsd(model.priceUsd)}
          </option>
        ))}
      </select>
    </>
  )
}
