import { AspectRatio, KONTEXT_SIZES } from '../../../shared/aspect-ratios'
import type { OptionsPanelProps } from '../options-panel'

export function AspectRatioSelect({ options, disabled, onChange }: OptionsPanelProps) {
  return (
    <>
      <label for="opt-aspect">Aspect ratio</label>
      <select
        id="opt-aspect"
        disabled={disabled}
        value={options.aspectRatio}
        onChange={(event) => onChange({ aspectRatio: AspectRatio.parse(event.currentTarget.value) })}
      >
        <option value="auto">Auto (nearest to the frame)</option>
        {KONTEXT_SIZES.map((size) => (
          <option key={size.ratio} value={size.ratio}>
            {size.ratio} · {size.width}×{size.height}
          </option>
        ))}
      </select>
    </>
  )
}
