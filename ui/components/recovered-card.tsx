import type { Recovered } from '../state/panel-state'

export interface RecoveredCardProps {
  recovered: Recovered[]
  disabled: boolean
  onPlace: (entry: Recovered) => void
  onDismiss: (entry: Recovered) => void
}

/** Edits that were running or unplaced when the panel closed: their paid results, offered again. */
export function RecoveredCard({ recovered, disabled, onPlace, onDismiss }: RecoveredCardProps) {
  if (recovered.length === 0) return null
  return (
    <section class="card recovered" aria-label="Edits from before">
      <div class="section-title">Finished while Kontext Edit was closed</div>
      <ul class="recovered-list">
        {recovered.map((entry) => (
          <li key={entry.job.jobId}>
            <div class="recovered-text">
              <span class="clamp" title={entry.job.prompt}>
                {entry.job.prompt}
              </span>
              <span class="muted">
                {entry.job.sourceName} ·{' '}
                {entry.state === 'ready' ? 'ready to place' : entry.state === 'placing' ? 'placing…' : 'still generating…'}
              </span>
              {entry.pending?.area?.notes.map((note) => (
                <span class="hint" key={note}>
                  {note}
                </span>
              ))}
            </div>
            <div class="row">
              <button type="button" class="primary" disabled={disabled || entry.state !== 'ready'} onClick={() => onPlace(entry)}>
                Place
              </button>
              <button
                type="button"
                class="secondary"
                aria-label={`Dismiss the edit “${entry.job.prompt}”`}
                onClick={() => onDismiss(entry)}
              >
                Dismiss
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  )
}
