import { formatSeconds } from '../../format/format-seconds'
import { formatUsd } from '../../format/format-usd'
import type { ItemState, Phase } from '../../state/panel-state'

export interface OutcomeCost {
  usd: number
  estimated: boolean
}

/** What the placed frames cost, as the relay reported it (estimated where the host said nothing). */
export function costOf(items: ItemState[]): OutcomeCost | undefined {
  const costed = items.filter((item) => item.costUsd !== undefined)
  if (costed.length === 0) return undefined
  return { usd: costed.reduce((sum, item) => sum + item.costUsd!, 0), estimated: costed.some((item) => item.costEstimated === true) }
}

export interface PlacedSummaryProps {
  phase: Extract<Phase, { kind: 'finished' }>
  placed: ItemState[]
  layers: string[]
  cost: OutcomeCost | undefined
}

/** Where the results went, how long and how much it took, and how to undo it. */
export function PlacedSummary({ phase, placed, layers, cost }: PlacedSummaryProps) {
  const single = phase.items.length === 1
  return (
    <>
      <p>
        <strong>
          {single
            ? layers.length === 1
              ? 'Result placed'
              : `${layers.length} variants placed`
            : `${placed.length} of ${phase.items.length} frames edited`}
        </strong>{' '}
        {phase.besideSource
          ? single
            ? 'beside the original, which is unchanged.'
            : 'each beside its original.'
          : 'in the middle of your view (the original layer was gone).'}
      </p>
      <p class="muted">
        {formatSeconds(phase.elapsedMs)}
        {cost === undefined ? '' : ` · ${cost.estimated ? 'about ' : ''}${formatUsd(cost.usd)}`} · Undo removes{' '}
        {layers.length === 1 ? 'it' : 'them'} in one step{single ? '' : ' each'}.
      </p>
      {placed
        .filter((item) => item.resolutionNote !== undefined)
        .map((item) => (
          <p class="hint" key={item.sourceId}>
            {single ? '' : `${item.name}: `}
            {item.resolutionNote}
          </p>
        ))}
    </>
  )
}
