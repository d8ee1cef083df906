import type { EditStage } from '../edit/run-edit-async'
import { formatBytes, formatSeconds } from '../format'
import type { Phase } from '../state/panel-state'

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

export function ProgressPanel({ phase, now, onCancel }: ProgressPanelProps) {
  const current = STAGES.findIndex((entry) => entry.stage === phase.progress.stage)
  return (
    <section class="card progress" aria-label="Progress" aria-live="polite">
      <ol class="stages">
        {STAGES.map((entry, index) => {
          const state = index < current ? 'done' : index === current ? 'active' : 'todo'
          let detail = ''
          if (entry.stage === 'uploading' && phase.progress.uploadBytes !== undefined && index <= current) detail = formatBytes(phase.progress.uploadBytes)
          if (entry.stage === 'generating' && state === 'active') {
            detail = `${phase.progress.status === 'queued' ? 'queued · ' : ''}${formatSeconds(now - phase.stageStartedAt)}`
          }
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
      <div class="row between">
        <span class="muted">{formatSeconds(now - phase.startedAt)} in total</span>
        <button type="button" class="secondary" onClick={onCancel} disabled={phase.canceling} title="Esc">
          {phase.canceling ? 'Canceling…' : 'Cancel'}
        </button>
      </div>
    </section>
  )
}
