import type { PanelState } from '../state/panel-state'

export interface TopBarProps {
  view: PanelState['view']
  historyCount: number
  onShow: (view: PanelState['view']) => void
}

/** The Edit and History tabs and the Settings button; Settings shows only its title. */
export function TopBar({ view, historyCount, onShow }: TopBarProps) {
  if (view === 'settings') {
    return (
      <header class="topbar">
        <h1>Settings</h1>
      </header>
    )
  }
  return (
    <header class="topbar">
      <div class="tabs" role="tablist" aria-label="Views">
        <button type="button" role="tab" class="tab" aria-selected={view === 'edit'} onClick={() => onShow('edit')}>
          Edit
        </button>
        <button type="button" role="tab" class="tab" aria-selected={view === 'history'} onClick={() => onShow('history')}>
          History{historyCount > 0 ? ` (${historyCount})` : ''}
        </button>
      </div>
      <button type="button" class="icon" aria-label="Settings" title="Settings" onClick={() => onShow('settings')}>
        ⚙
      </button>
    </header>
  )
}
