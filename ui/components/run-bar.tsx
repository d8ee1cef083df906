import { formatUsd } from '../format/format-usd'

export interface RunBarProps {
  modelName: string
  cost: number
  /** What is left of today's budget; null when unknown or unlimited. */
  remaining: number | null
  frames: number
  variants: number
  canRun: boolean
  onRun: () => void
}

/** The expected cost and the Edit button, shown while no edit runs. */
export function RunBar({ modelName, cost, remaining, frames, variants, canRun, onRun }: RunBarProps) {
  return (
    <div class="runbar">
      <span class="muted">
        {modelName} · {cost === 0 ? 'no per-image fee' : `about ${formatUsd(cost)}`}
        {remaining !== null && remaining < cost ? ` · only ${formatUsd(remaining)} of today’s budget left` : ''}
      </span>
      <button type="button" class="primary" disabled={!canRun} onClick={onRun}>
        {frames > 1 ? `Edit ${frames} frames` : variants === 1 ? 'Edit' : `Edit · ${variants} variants`}
      </button>
    </div>
  )
}
