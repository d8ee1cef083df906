import { useMemo } from 'preact/hooks'
import { MAX_REFERENCES } from '../../shared/limits'
import type { SelectionItem } from '../../shared/messages'
import { bytesToDataUrl } from '../format'

export interface SelectionCardProps {
  selection: SelectionItem[]
  maxReferences: number
}

function Thumbnail({ item, size }: { item: SelectionItem; size: number }) {
  const url = useMemo(() => (item.thumbnail === undefined ? undefined : bytesToDataUrl(item.thumbnail, 'image/png')), [item.thumbnail])
  return (
    <div class="thumb" style={{ width: `${size}px`, height: `${size}px` }}>
      {url === undefined ? <span class="thumb-empty" aria-hidden="true">?</span> : <img src={url} alt="" />}
    </div>
  )
}

/** What will be edited: a thumbnail, the name and size, and any reason it cannot be. */
export function SelectionCard({ selection, maxReferences }: SelectionCardProps) {
  if (selection.length === 0) {
    return (
      <section class="card selection empty" aria-label="Selection">
        <p class="muted">Select a frame, group or image on the canvas to edit it.</p>
      </section>
    )
  }
  const limit = Math.min(maxReferences, MAX_REFERENCES)
  const first = selection[0]!
  return (
    <section class="card selection" aria-label="Selection">
      <div class="selection-main">
        <Thumbnail item={first} size={56} />
        <div class="selection-text">
          <div class="selection-name" title={first.name}>
            {first.name}
          </div>
          <div class="muted">
            {first.width} × {first.height}
            {selection.length > 1 ? ` · and ${selection.length - 1} more` : ''}
          </div>
        </div>
      </div>
      {selection.length > 1 && (
        <p class="hint">
          {selection.length <= limit
            ? `The ${selection.length} layers go to the model together as references; the result is placed beside “${first.name}”.`
            : `Select at most ${limit} layers: this image host takes ${limit} references per edit.`}
        </p>
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
