import { useMemo } from 'preact/hooks'
import type { HistoryEntry } from '../../shared/messages'
import { MODELS, ModelId } from '../../shared/models'
import { bytesToDataUrl } from '../format/bytes-to-data-url'
import { formatSeconds } from '../format/format-seconds'
import { formatUsd } from '../format/format-usd'

export interface HistoryViewProps {
  history: HistoryEntry[]
  now: number
  onUsePrompt: (prompt: string) => void
  onSelect: (nodeIds: string[]) => void
}

function ago(ms: number): string {
  const minutes = Math.floor(ms / 60_000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  return hours < 24 ? `${hours} h ago` : `${Math.floor(hours / 24)} d ago`
}

function Entry({ entry, now, onUsePrompt, onSelect }: { entry: HistoryEntry; now: number } & Omit<HistoryViewProps, 'history' | 'now'>) {
  const thumbnail = useMemo(
    () => (entry.thumbnail === undefined ? undefined : bytesToDataUrl(entry.thumbnail, 'image/jpeg')),
    [entry.thumbnail]
  )
  const model = ModelId.safeParse(entry.model)
  return (
    <li class="history-entry">
      <div class="thumb" style={{ width: '48px', height: '48px' }}>
        {thumbnail === undefined ? <span class="thumb-empty">·</span> : <img src={thumbnail} alt="" />}
      </div>
      <div class="history-text">
        <span class="clamp" title={entry.prompt}>
          {entry.prompt}
        </span>
        <span class="muted">
          {model.success ? MODELS[model.data].name : entry.model}
          {entry.seed === undefined ? '' : ` · seed ${entry.seed}`}
          {entry.costUsd === undefined ? '' : ` · ${formatUsd(entry.costUsd)}`} · {formatSeconds(entry.elapsedMs)} ·{' '}
          {ago(now - Date.parse(entry.createdAt))}
        </span>
        <div class="row">
          <button type="button" class="link" onClick={() => onUsePrompt(entry.prompt)}>
            Use prompt
          </button>
          <button type="button" class="link" onClick={() => onSelect(entry.nodeIds)}>
            Select result
          </button>
        </div>
      </div>
    </li>
  )
}

/** Recent edits in this file, newest first. */
export function HistoryView({ history, now, onUsePrompt, onSelect }: HistoryViewProps) {
  if (history.length === 0) return <p class="muted empty-history">No edits in this file yet. Each edit you place appears here.</p>
  return (
    <ul class="history" aria-label="Recent edits in this file">
      {history.map((entry) => (
        <Entry key={entry.jobId} entry={entry} now={now} onUsePrompt={onUsePrompt} onSelect={onSelect} />
      ))}
    </ul>
  )
}
