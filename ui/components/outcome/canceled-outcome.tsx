export interface CanceledOutcomeProps {
  /** The host finished before the cancel reached it: its result is kept and can still be placed. */
  placeable: boolean
  onPlace: () => void
  onDismiss: () => void
}

export function CanceledOutcome({ placeable, onPlace, onDismiss }: CanceledOutcomeProps) {
  return (
    <section class="card outcome" role="status">
      <p>{placeable ? 'Canceled before placing. The result is kept, so you can still place it.' : 'Canceled. Nothing was placed.'}</p>
      <div class="row end">
        {placeable && (
          <button type="button" class="secondary" onClick={onPlace}>
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
