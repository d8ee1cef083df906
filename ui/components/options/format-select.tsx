import { OutputFormat } from '../../../shared/relay-api'
import type { OptionsPanelProps } from '../options-panel'
import { chosenFormat } from './chosen-format'

const FORMAT_LABELS: Record<OutputFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' }

export function FormatSelect({ options, choice, disabled, onChange }: OptionsPanelProps) {
  return (
    <>
      <label for="opt-format">Format</label>
      <select
        id="opt-format"
        disabled={disabled}
        value={chosenFormat(options, choice.capabilities)}
        onChange={(event) => onChange({ outputFormat: OutputFormat.parse(event.currentTarget.value) })}
      >
        {choice.capabilities.outputFormats.map((id) => (
          <option key={id} value={id}>
            {FORMAT_LABELS[id]}
          </option>
        ))}
      </select>
    </>
  )
}
