import type { EditStage } from '../edit/edit-deps'
import { formatBytes } from '../format/format-bytes'
import { formatSeconds } from '../format/format-seconds'
import type { ItemState, Phase } from '../state/panel-state'

export interface ProgressPanelProps {
  phase: Extract<Phase, { kind: 'running' }>
  now: number
  onCancel: () => void
}

const STAGES: ReadonlyArray<{ stage: EditStage; label: string }> = [
  { stage: 'exporting', label: 'Exporting the frame' },
  { stage: 'uploading', label: 'Uploading' },
  { stage: 'generating', label: 'Generating' },
  { stage: 'downloading', label: 'Downloading the result' },
  { stage: 'placing', label: 'Placing on the canvas' }
]

const SHORT_LABELS: Record<ItemState['stage'], string> = {
  waiting: 'Waiting',
  exporting: 'Exporting',
  uploading: 'Uploading',
  generating: 'Generating',
  downloading: 'Downloading',
  placing: 'Placing',
  done: 'Placed',
  failed: 'Failed'
}

function StageList({ item, now }: { item: ItemState; now: number }) {
  const current = STAGES.findIndex((entry) => entry.stage === item.stage)
  return (
    <ol class="stages">
      {STAGES.map((entry, index) => {
        const state = index < current ? 'done' : index === current ? 'active' : 'todo'
        let detail = ''
        if (entry.stage === 'uploading' && item.uploadBytes !== undefined && index <= current) detail = formatBytes(item.uploadBytes)
        if (entry.stage === 'generating' && state === 'active')
          detail = `${item.status === 'queued' ? 'queued · ' : ''}${formatSeconds(now - item.stageStartedAt)}`
        return (
          <li key={entry.stage} class={`stage ${state}`} aria-current={state === 'active' ? 'step' : undefined}>
            <span class="stage-mark" aria-hidden="true">
              {state === 'done' ? '✓' : state === 'active' ? <span class="spinner" /> : '·'}
            </span>
            <span class="stage-label">{entry.label}</span>
            <span class="stage-detail">{detail}</span>
          </li>
        )
      })}
    </ol>
  )
}

function ItemList({ items, now }: { items: ItemState[]; now: number }) {
  return (
    <ol class="stages">
      {items.map((item) => {
        const state = item.stage === 'done' ? 'done' : item.stage === 'failed' ? 'failed' : item.stage === 'waiting' ? 'todo' : 'active'
        return (
          <li key={item.sourceId} class={`stage ${state}`}>
            <span class="stage-mark" aria-hidden="true">
              {state === 'done' ? '✓' : state === 'failed' ? '✕' : state === 'active' ? <span class="spinner" /> : '·'}
            </span>
            <span class="stage-label" title={item.name}>
              {item.name}
            </span>
            <span class="stage-detail">
              {SHORT_LABELS[item.stage]}
              {item.stage === 'generating' ? ` ${formatSeconds(now - item.stageStartedAt)}` : ''}
            </span>
          </li>
        )
      })}
    </ol>
  )
}

export function ProgressPanel({ phase, now, onCancel }: ProgressPanelProps) {
  const single = phase.items.length === 1
  const done = phase.items.filter((item) => item.stage === 'done').length
  return (
    <section class="card progress" aria-label="Progress" aria-live="polite">
      {single ? <StageList item={phase.items[0]!} now={now} /> : <ItemList items={phase.items} now={now} />}
      <div class="row between">
        <span class="muted">
          {single ? '' : `${done} of ${phase.items.length} placed · `}
          {formatSeconds(now - phase.startedAt)} in total
        </span>
        <button type="button" class="secondary" onClick={onCancel} disabled={phase.canceling} title="Esc">
          {phase.canceling ? 'Canceling…' : 'Cancel'}
        </button>
      </div>
    </section>
  )
}
