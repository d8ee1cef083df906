import { useEffect, useState } from 'preact/hooks'
import type { EditSession } from '../session/edit-session'
import type { PanelState } from '../state/panel-state'

/** The session's state, re-rendered on every change. */
export function useEditSession(session: EditSession): PanelState {
  const [state, setState] = useState(session.getState)
  useEffect(() => {
    // The session may have moved on between the first render and this subscription.
    setState(session.getState())
    return session.subscribe(setState)
  }, [session])
  return state
}
