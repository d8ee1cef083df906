import type { EditOptions } from '../../shared/settings'
import type { Choice } from '../state/resolve-choice'
import { AspectRatioSelect } from './options/aspect-ratio-select'
import { chosenFormat } from './options/chosen-format'
import { FormatSelect } from './options/format-select'
import { HostSelect } from './options/host-select'
import { ModelSelect } from './options/model-select'
import { NumberField } from './options/number-field'
import { PromptUpsamplingToggle } from './options/prompt-upsampling-toggle'
import { SafetySelect } from './options/safety-select'
import { SeedField } from './options/seed-field'
import { VariantsSelect } from './options/variants-select'

export interface OptionsPanelProps {
  options: EditOptions
  /** The host and model in use and what they support: only those settings are offered. */
  choice: Choice
  disabled: boolean
  onChange: (options: Partial<EditOptions>) => void
}

export function OptionsPanel(props: OptionsPanelProps) {
  const { options, choice, disabled, onChange } = props
  const capabilities = choice.capabilities
  return (
    <details class="card options">
      <summary>Options</summary>
      <div class="options-grid">
        <HostSelect {...props} />
        <ModelSelect {...props} />
        <AspectRatioSelect {...props} />
        <VariantsSelect {...props} />
        <SeedField {...props} />
        <SafetySelect {...props} />

        {capabilities.guidance !== null && (
          <NumberField
            id="opt-guidance"
            label="Guidance"
            value={options.guidance}
            range={capabilities.guidance}
            step={0.5}
            disabled={disabled}
            onChange={(guidance) => onChange({ guidance })}
          />
        )}
        {capabilities.steps !== null && (
          <NumberField
            id="opt-steps"
            label="Steps"
            value={options.steps}
            range={capabilities.steps}
            step={1}
            disabled={disabled}
            onChange={(steps) => onChange({ steps })}
          />
        )}

        <FormatSelect {...props} />

        {capabilities.outputQuality !== null && chosenFormat(options, capabilities) !== 'png' && (
          <NumberField
            id="opt-quality"
            label="Quality"
            value={options.outputQuality}
            range={capabilities.outputQuality}
            step={1}
            disabled={disabled}
            onChange={(outputQuality) => onChange({ outputQuality })}
          />
        )}

        <PromptUpsamplingToggle {...props} />
      </div>
    </details>
  )
}
