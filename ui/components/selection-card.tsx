import { useMemo } from 'preact/hooks'
import type { SelectionItem } from '../../shared/messages'
import { bytesToDataUrl } from '../format/bytes-to-data-url'
import type { SelectionMode } from '../state/panel-state'
import { ModeSwitch } from './mode-switch'

export interface SelectionCardProps {
  selection: SelectionItem[]
  /** False until the sandbox has said what is selected. */
  known: boolean
  mode: SelectionMode
  maxReferences: number
  disabled: boolean
  onMode: (mode: SelectionMode) => void
}

function Thumbnail({ item, size }: { item: SelectionItem; size: number }) {
  const url = useMemo(() => (item.thumbnail === undefined ? undefined : bytesToDataUrl(item.thumbnail, 'image/png')), [item.thumbnail])
  return (
    <div class="thumb" style={{ width: `${size}px`, height: `${size}px` }}>
      {url === undefined ? (
        <span class="thumb-empty" aria-hidden="true">
          ?
        </span>
      ) : (
        <img src={url} alt="" />
      )}
    </div>
  )
}

/** What will be edited: thumbnails, names and sizes, how, and any reason it cannot be. */
export function SelectionCard({ selection, known, mode, maxReferences, disabled, onMode }: SelectionCardProps) {
  if (selection.length === 0) {
    return (
      <section class="card selection empty" aria-label="Selection">
        <p class="muted">{known ? 'Select a frame, group or image on the canvas to edit it.' : 'Reading the selection…'}</p>
      </section>
    )
  }
  const first = selection[0]!
  const iterating = selection.length === 1 && first.provenance !== undefined
  return (
    <section class="card selection" aria-label="Selection">
      {selection.length === 1 ? (
        <div class="selection-main">
          <Thumbnail item={first} size={56} />
          <div class="selection-text">
            <div class="selection-name" title={first.name}>
              {first.name}
            </div>
            <div class="muted">
              {first.width} × {first.height}
            </div>
          </div>
        </div>
      ) : (
        <ul class="selection-list">
          {selection.map((item) => (
            <li key={item.id} class="selection-main">
              <Thumbnail item={item} size={32} />
              <span class="selection-name" title={item.name}>
                {item.name}
              </span>
              <span class="muted">
                {item.width} × {item.height}
              </span>
            </li>
          ))}
        </ul>
      )}
      {iterating && <p class="hint">This is a Kontext Edit result: editing it again keeps a link to it in the new result’s history.</p>}
      {selection.length > 1 && (
        <ModeSwitch count={selection.length} mode={mode} maxReferences={maxReferences} disabled={disabled} onChange={onMode} />
      )}
      {selection
        .filter((item) => item.problem !== undefined)
        .map((item) => (
          <p class="warning" key={item.id} role="alert">
            “{item.name}”: {item.problem}
          </p>
        ))}
    </section>
  )
}
