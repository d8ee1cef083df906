import type { AreaOffer } from '../../shared/area/area-geometry'
import type { AreaScope } from '../state/panel-state'

export interface AreaChoiceProps {
  offer: AreaOffer
  scope: AreaScope
  disabled: boolean
  onChange: (scope: AreaScope) => void
}

/**
 * Layers selected inside a frame: edit only their area (the frame keeps every other pixel, at full
 * resolution) or the whole frame. When the sandbox sees a reason against the area, it says so and
 * the whole frame is edited.
 */
/** The sandbox's lines come without a full stop. */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`
}

export function AreaChoice({ offer, scope, disabled, onChange }: AreaChoiceProps) {
  const reason =
    offer.problem !== undefined
      ? `${sentence(offer.problem)} Edit changes the whole frame “${offer.containerName}” instead.`
      : offer.wholeFrameNote === undefined
        ? undefined
        : sentence(offer.wholeFrameNote)
  return (
    <section class="card area-choice" aria-label="Area">
      <p>
        <strong>Area:</strong> {offer.label}
      </p>
      {reason === undefined ? (
        <div class="mode-switch" role="radiogroup" aria-label="What to edit">
          <label class="radio">
            <input type="radio" name="area-scope" checked={scope === 'area'} disabled={disabled} onChange={() => onChange('area')} />
            This area only
          </label>
          <label class="radio">
            <input type="radio" name="area-scope" checked={scope === 'frame'} disabled={disabled} onChange={() => onChange('frame')} />
            The whole frame
          </label>
        </div>
      ) : (
        <p class={offer.problem === undefined ? 'hint' : 'warning'} role="note">
          {reason}
        </p>
      )}
    </section>
  )
}
