import type { ErrorCode } from '../../shared/errors'
import { formatSeconds, formatUsd } from '../format'
import type { Phase } from '../state/panel-state'

export interface OutcomePanelProps {
  phase: Extract<Phase, { kind: 'done' | 'failed' | 'canceled' }>
  onDismiss: () => void
  onOpenSettings: () => void
  onPlaceAgain: () => void
}

/** Codes a designer fixes in Settings rather than by trying again. */
const SETTINGS_CODES: ReadonlySet<ErrorCode> = new Set(['unauthorized', 'relay_unreachable', 'relay_incompatible'])

export function OutcomePanel({ phase, onDismiss, onOpenSettings, onPlaceAgain }: OutcomePanelProps) {
  if (phase.kind === 'canceled') {
    return (
      <section class="card outcome" role="status">
        <p>{phase.pending === undefined ? 'Canceled. Nothing was placed.' : 'Canceled before placing. The result is kept, so you can still place it.'}</p>
        <div class="row end">
          {phase.pending !== undefined && (
            <button type="button" class="secondary" onClick={onPlaceAgain}>
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
  if (phase.kind === 'done') {
    const count = phase.nodeIds.length
    const cost = phase.job.cost
    return (
      <section class="card outcome success" role="status">
        <p>
          <strong>{count === 1 ? 'Result placed' : `${count} variants placed`}</strong>{' '}
          {phase.besideSource ? 'beside the original, which is unchanged.' : 'in the middle of your view (the original layer was gone).'}
        </p>
        <p class="muted">
          {formatSeconds(phase.elapsedMs)}
          {cost === undefined ? '' : ` · ${formatUsd(cost)}`} · Undo removes {count === 1 ? 'it' : 'them'} in one step.
        </p>
        <div class="row end">
          <button type="button" class="secondary" onClick={onDismiss}>
            New edit
          </button>
        </div>
      </section>
    )
  }
  const needsSettings = SETTINGS_CODES.has(phase.error.code) || phase.error.code === 'provider_not_configured'
  return (
    <section class="card outcome error" role="alert">
      <p>{phase.error.message}</p>
      <div class="row end">
        {needsSettings && (
          <button type="button" class="secondary" onClick={onOpenSettings}>
            Open settings
          </button>
        )}
        {phase.pending !== undefined ? (
          <button type="button" class="primary" onClick={onPlaceAgain}>
            Place again
          </button>
        ) : (
          <button type="button" class="secondary" onClick={onDismiss}>
            OK
          </button>
        )}
      </div>
    </section>
  )
}
