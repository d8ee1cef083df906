import type { ErrorCode } from '../../shared/errors'
import { AreaOutcome } from './outcome/area-outcome'
import { CanceledOutcome } from './outcome/canceled-outcome'
import { costOf, PlacedSummary } from './outcome/placed-summary'
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
const SETTINGS_CODES: ReadonlySet<ErrorCode> = new Set([
  'unauthorized',
  'relay_unreachable',
  'relay_incompatible',
  'provider_not_configured'
])

export function OutcomePanel({ phase, onDismiss, onOpenSettings, onPlaceAgain, onPlaceCanceled, onSelect }: OutcomePanelProps) {
  if (phase.kind === 'canceled')
    return <CanceledOutcome placeable={phase.pending !== undefined} onPlace={onPlaceCanceled} onDismiss={onDismiss} />
  const placed = phase.items.filter((item) => item.stage === 'done')
  const failed = phase.items.filter((item) => item.stage === 'failed')
  const layers = placed.flatMap((item) => item.nodeIds ?? [])
  const cost = costOf(placed)
  const needsSettings = failed.some((item) => item.error !== undefined && SETTINGS_CODES.has(item.error.code))
  const single = phase.items.length === 1
  return (
    <section class={`card outcome ${failed.length === 0 ? 'success' : 'error'}`} role={failed.length === 0 ? 'status' : 'alert'}>
      {placed.length > 0 && <PlacedSummary phase={phase} placed={placed} layers={layers} cost={cost} />}
      {placed.map((item) => item.area !== undefined && <AreaOutcome key={item.sourceId} area={item.area} />)}
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
