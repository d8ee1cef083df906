import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../shared/settings'
import { INITIAL_STATE, panelReducer, type PanelAction, type PanelState } from '../../ui/state/panel-state'

function reduce(actions: PanelAction[], state: PanelState = INITIAL_STATE): PanelState {
  return actions.reduce(panelReducer, state)
}

const init = (token: string, command: 'open' | 'quick' = 'open'): PanelAction => ({
  type: 'init',
  settings: { ...DEFAULT_SETTINGS, token },
  selection: [],
  launch: { command },
  history: [],
  pendingJobs: []
})

describe('the panel state', () => {
  it('opens on Settings until a token is set, except for the quick action', () => {
    expect(reduce([init('')]).view).toBe('settings')
    expect(reduce([init('t')]).view).toBe('edit')
    expect(reduce([init('', 'quick')]).view).toBe('edit')
  })

  it('times each frame’s stage from when it began', () => {
    const state = reduce([
      {
        type: 'started',
        items: [
          { sourceId: 'a', name: 'A' },
          { sourceId: 'b', name: 'B' }
        ],
        now: 1000
      },
      { type: 'item', index: 0, patch: { stage: 'uploading' }, now: 1200 },
      { type: 'item', index: 0, patch: { stage: 'generating', status: 'queued' }, now: 1500 },
      { type: 'item', index: 0, patch: { stage: 'generating', status: 'running' }, now: 4000 },
      { type: 'item', index: 1, patch: { stage: 'exporting' }, now: 4100 }
    ])
    expect(state.phase).toMatchObject({
      kind: 'running',
      startedAt: 1000,
      items: [
        { sourceId: 'a', stage: 'generating', status: 'running', stageStartedAt: 1500 },
        { sourceId: 'b', stage: 'exporting', stageStartedAt: 4100 }
      ]
    })
  })

  it('reports the total time and every frame’s outcome when the run ends', () => {
    const state = reduce([
      { type: 'started', items: [{ sourceId: 'a', name: 'A' }], now: 1000 },
      { type: 'item', index: 0, patch: { stage: 'done', nodeIds: ['1:2'], costUsd: 0.08 }, now: 8000 },
      { type: 'finished', now: 9000, besideSource: true }
    ])
    expect(state.phase).toMatchObject({ kind: 'finished', elapsedMs: 8000, items: [{ stage: 'done', nodeIds: ['1:2'], costUsd: 0.08 }] })
  })

  it('ignores progress once the run is over', () => {
    const state = reduce([{ type: 'canceled' }, { type: 'item', index: 0, patch: { stage: 'placing' }, now: 1 }])
    expect(state.phase).toEqual({ kind: 'canceled', pending: undefined })
  })

  it('selects an inserted template’s placeholder once per insertion', () => {
    const first = reduce([{ type: 'prompt', prompt: 'Replace x', select: { start: 2, end: 5 } }])
    const second = reduce([{ type: 'prompt', prompt: 'Replace y', select: { start: 2, end: 5 } }], first)
    expect(second.promptSelection?.serial).toBe((first.promptSelection?.serial ?? 0) + 1)
    expect(reduce([{ type: 'prompt', prompt: 'typed' }], second).promptSelection).toEqual(second.promptSelection)
  })

  it('offers the jobs that were pending when the panel last closed', () => {
    const job = {
      jobId: 'j1',
      relayUrl: 'http://r',
      sourceId: '1:1',
      sourceName: 'Hero',
      prompt: 'p',
      options: { aspectRatio: 'auto' as const, numImages: 1, outputFormat: 'png' as const },
      createdAt: new Date(0).toISOString()
    }
    const state = reduce([
      { ...init('t'), pendingJobs: [job] } as PanelAction,
      { type: 'recovered', jobId: 'j1', patch: { state: 'running' } }
    ])
    expect(state.recovered).toEqual([{ job, state: 'running' }])
    expect(reduce([{ type: 'recovered', jobId: 'j1', patch: undefined }], state).recovered).toEqual([])
  })
})
