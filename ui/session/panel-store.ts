import { INITIAL_STATE, panelReducer, type PanelAction, type PanelState } from '../state/panel-state'

export interface PanelStore {
  getState(): PanelState
  dispatch(action: PanelAction): void
  /** Calls `listener` after every change; returns a function that stops it. */
  subscribe(listener: (state: PanelState) => void): () => void
}

/** The panel state and its reducer, observable without Preact (the view subscribes through a hook). */
export function createPanelStore(initial: PanelState = INITIAL_STATE): PanelStore {
  const listeners = new Set<(state: PanelState) => void>()
  let state = initial
  return {
    getState: () => state,
    dispatch(action) {
      const previous = state
      state = panelReducer(state, action)
      if (state !== previous) for (const listener of [...listeners]) listener(state)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    }
  }
}
