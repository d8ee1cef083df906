import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../shared/settings'
import { INITIAL_STATE, panelReducer, type PanelAction, type PanelState } from '../../ui/state/panel-state'

function reduce(actions: PanelAction[], state: PanelState = INITIAL_STATE): PanelState {
  return actions.reduce(panelReducer, state)
}

describe('the panel state', () => {
  it('opens on Settings until a token is set', () => {
    expect(reduce([{ type: 'init', settings: DEFAULT_SETTINGS, selection: [] }]).view).toBe('settings')
    expect(reduce([{ type: 'init', settings: { ...DEFAULT_SETTINGS, token: 't' }, selection: [] }]).view).toBe('edit')
  })

  it('times each stage from when it began', () => {
    const state = reduce([
      { type: 'started', requestId: 'r', now: 1000 },
      { type: 'progress', progress: { stage: 'uploading' }, now: 1200 },
      { type: 'progress', progress: { stage: 'generating', status: 'queued' }, now: 1500 },
      { type: 'progress', progress: { stage: 'generating', status: 'running' }, now: 4000 }
    ])
    expect(state.phase).toMatchObject({ kind: 'running', startedAt: 1000, stageStartedAt: 1500, progress: { stage: 'generating', status: 'running' } })
  })

  it('reports the total time of a finished edit', () => {
    const job = { id: 'j', status: 'succeeded' as const, provider: 'runware' as const, model: 'kontext-max' as const, createdAt: '', updatedAt: '', images: [], expiresInSeconds: 1 }
    const state = reduce([
      { type: 'started', requestId: 'r', now: 1000 },
      { type: 'succeeded', job, nodeIds: ['1:2'], besideSource: true, now: 9000 }
    ])
    expect(state.phase).toMatchObject({ kind: 'done', elapsedMs: 8000, nodeIds: ['1:2'] })
  })

  it('ignores progress once the edit is over', () => {
    const state = reduce([{ type: 'canceled' }, { type: 'progress', progress: { stage: 'placing' }, now: 1 }])
    expect(state.phase).toEqual({ kind: 'canceled', pending: undefined })
  })
})
