import { AspectRatio, KONTEXT_SIZES } from '../../../shared/aspect-ratios'
import type { OptionsPanelProps } from '../options-panel'

/**
 * Kontext answers at one of nine sizes, so each ratio shows its size; a model with free sizes
 * (FLUX.2) takes the ratio at the reference's own pixels, so only the ratio is named.
 */
export function AspectRatioSelect({ options, choice, disabled, onChange }: OptionsPanelProps) {
  const free = choice.capabilities.output.kind === 'free'
  return (
    <>
      <label for="opt-aspect">Aspect ratio</label>
      <select
        id="opt-aspect"
        disabled={disabled}
        value={options.aspectRatio}
        onChange={(event) => onChange({ aspectRatio: AspectRatio.parse(event.currentTarget.value) })}
      >
        <option value="auto">{free ? 'Auto (the frame’s own shape)' : 'Auto (nearest to the frame)'}</option>
        {KONTEXT_SIZES.map((size) => (
          <option key={size.ratio} value={size.ratio}>
            {free ? size.ratio : `${size.ratio} · ${size.width}×${size.height}`}
          </option>
        ))}
      </select>
    </>
  )
}
