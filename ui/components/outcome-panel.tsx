import type { ErrorCode } from '../../shared/errors'
import { formatSeconds } from '../format/format-seconds'
import { formatUsd } from '../format/format-usd'
import type { ItemState, Phase } from '../state/panel-state'

export interface OutcomePanelProps {
  phase: Extract<Phase, { kind: 'finished' | 'canceled' }>
  onDismiss: () => void
  onOpenSettings: () => void
  onPlaceAgain: (item: ItemState) => void
  onPlaceCanceled: () => void
  onSelect: (nodeIds: string[]) => void
}

/** Codes a designer fixes in Settings rather than by trying again. */
const SETTINGS_CODES: ReadonlySet<ErrorCode> = new Set(['unauthorized', 'relay_unreachable', 'relay_incompatible', 'provider_not_configured'])

function costOf(items: ItemState[]): { usd: number; estimated: boolean } | undefined {
  const costed = items.filter((item) => item.costUsd !== undefined)
  if (costed.length === 0) return undefined
  return { usd: costed.reduce((sum, item) => sum + item.costUsd!, 0), estimated: costed.some((item) => item.costEstimated === true) }
}

export function OutcomePanel({ phase, onDismiss, onOpenSettings, onPlaceAgain, onPlaceCanceled, onSelect }: OutcomePanelProps) {
  if (phase.kind === 'canceled') {
    return (
      <section class="card outcome" role="status">
        <p>{phase.pending === undefined ? 'Canceled. Nothing was placed.' : 'Canceled before placing. The result is kept, so you can still place it.'}</p>
        <div class="row end">
          {phase.pending !== undefined && (
            <button type="button" class="secondary" onClick={onPlaceCanceled}>
              Place result
            </button>
          )}
          <button type="button" class="secondary" onClick={onDismiss}>
            OK
          </button>
        </div>
      </section>
    )
  }
  const placed = phase.items.filter((item) => item.stage === 'done')
  const failed = phase.items.filter((item) => item.stage === 'failed')
  const layers = placed.flatMap((item) => item.nodeIds ?? [])
  const cost = costOf(placed)
  const needsSettings = failed.some((item) => item.error !== undefined && SETTINGS_CODES.has(item.error.code))
  const single = phase.items.length === 1
  return (
    <section class={`card outcome ${failed.length === 0 ? 'success' : 'error'}`} role={failed.length === 0 ? 'status' : 'alert'}>
      {placed.length > 0 && (
        <>
          <p>
            <strong>{single ? (layers.length === 1 ? 'Result placed' : `${layers.length} variants placed`) : `${placed.length} of ${phase.items.length} frames edited`}</strong>{' '}
            {phase.besideSource ? (single ? 'beside the original, which is unchanged.' : 'each beside its original.') : 'in the middle of your view (the original layer was gone).'}
          </p>
          <p class="muted">
            {formatSeconds(phase.elapsedMs)}
            {cost === undefined ? '' : ` · ${cost.estimated ? 'about ' : ''}${formatUsd(cost.usd)}`} · Undo removes {layers.length === 1 ? 'it' : 'them'} in one step{single ? '' : ' each'}.
          </p>
          {placed
            .filter((item) => item.resolutionNote !== undefined)
            .map((item) => (
              <p class="hint" key={item.sourceId}>
                {single ? '' : `${item.name}: `}
                {item.resolutionNote}. Kontext works at about one megapixel.
              </p>
            ))}
        </>
      )}
      {failed.map((item) => (
        <div key={item.sourceId} class="failure">
          <p>
            {single ? '' : <strong>{item.name}: </strong>}
            {item.error?.message}
          </p>
          {item.pending !== undefined && (
            <div class="row end">
              <button type="button" class="primary" onClick={() => onPlaceAgain(item)}>
                Place again
              </button>
            </div>
          )}
        </div>
      ))}
      <div class="row end">
        {layers.length > 0 && (
          <button type="button" class="secondary" onClick={() => onSelect(layers)}>
            Select {layers.length === 1 ? 'result' : 'results'}
          </button>
        )}
        {needsSettings && (
          <button type="button" class="secondary" onClick={onOpenSettings}>
            Open settings
          </button>
        )}
        <button type="button" class="secondary" onClick={onDismiss}>
          {failed.length === 0 ? 'New edit' : 'OK'}
        </button>
      </div>
    </section>
  )
}
