import { useMemo, useState } from 'preact/hooks'
import type { AreaSummary } from '../../edit/area-summary'
import { bytesToDataUrl } from '../../format/bytes-to-data-url'

export interface AreaOutcomeProps {
  area: AreaSummary
}

export const DRIFT_WARNING = 'The model also changed the surroundings; check the edges.'

/**
 * A region edit's outcome: the area before and after, cut from the frame render at its full
 * resolution (fitted to the panel, or pixel for pixel on a click), the warning when the model
 * changed more than the area, and the notes of the export and the blend.
 */
export function AreaOutcome({ area }: AreaOutcomeProps) {
  const [shown, setShown] = useState<'before' | number>(0)
  const [actualPixels, setActualPixels] = useState(false)
  const image = shown === 'before' ? area.before : area.afters[Math.min(shown, area.afters.length - 1)]
  const url = useMemo(() => (image === undefined ? undefined : bytesToDataUrl(image.png, 'image/png')), [image])
  const comparable = area.before !== undefined && area.afters.length > 0
  return (
    <div class="area-outcome">
      {comparable && (
        <>
          <div class="row" role="group" aria-label={`Compare ${area.label}`}>
            <button type="button" class="secondary" aria-pressed={shown === 'before'} onClick={() => setShown('before')}>
              Before
            </button>
            {area.afters.map((_, index) => (
              <button key={index} type="button" class="secondary" aria-pressed={shown === index} onClick={() => setShown(index)}>
                {area.afters.length === 1 ? 'After' : `After ${index + 1}`}
              </button>
            ))}
          </div>
          {url !== undefined && image !== undefined && (
            <div class={`area-compare${actualPixels ? ' actual' : ''}`}>
              <button
                type="button"
                class="area-zoom"
                aria-pressed={actualPixels}
                aria-label={actualPixels ? 'Fit the area to the panel' : 'Show the area pixel for pixel'}
                onClick={() => setActualPixels(!actualPixels)}
              >
                <img
                  src={url}
                  width={image.width}
                  height={image.height}
                  alt={`${area.label}, ${shown === 'before' ? 'before' : 'after'}`}
                />
              </button>
            </div>
          )}
        </>
      )}
      {area.driftLarge && (
        <p class="warning" role="alert">
          {DRIFT_WARNING}
        </p>
      )}
      {area.notes.map((note) => (
        <p class="hint" key={note}>
          {note}
        </p>
      ))}
    </div>
  )
}
