import { describe, expect, it, vi } from 'vitest'
import { AppError } from '../../shared/errors'
import type { LaunchCommand, PendingJob, SelectionItem } from '../../shared/messages'
import type { Settings } from '../../shared/settings'
import type { PanelState } from '../../ui/state/panel-state'
import { createFakeRelay, jobOf, selectionItem, SETTINGS, startSession } from './edit-session-fakes'

type Started = ReturnType<typeof startSession>

function init(
  started: Started,
  selection: SelectionItem[],
  extra: { settings?: Settings; command?: LaunchCommand; instruction?: string; pendingJobs?: PendingJob[] } = {}
): Promise<void> {
  started.sandbox.send({
    type: 'init',
    settings: extra.settings ?? SETTINGS,
    selection,
    history: [],
    pendingJobs: extra.pendingJobs ?? [],
    command: extra.command ?? 'open',
    ...(extra.instruction === undefined ? {} : { instruction: extra.instruction })
  })
  return vi.waitFor(() => expect(started.session.getState().ready).toBe(true))
}

function phaseOf(started: Started): PanelState['phase'] {
  return started.session.getState().phase
}

function waitForPhase(started: Started, kind: PanelState['phase']['kind']): Promise<void> {
  return vi.waitFor(() => expect(phaseOf(started).kind).toBe(kind))
}

const PENDING_JOB: PendingJob = {
  jobId: 'job-old',
  relayUrl: 'http://relay.test',
  sourceId: '1:1',
  sourceName: 'Hero',
  prompt: 'Make the sky purple',
  options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png' },
  createdAt: new Date(0).toISOString()
}

describe('the edit session', () => {
  it('says it is ready, opens with the sandbox’s state and checks the relay once; again only when its address or token changes', async () => {
    const started = startSession()
    expect(started.sandbox.types()).toEqual(['ui-ready'])
    await init(started, [selectionItem('1:1')])
    await vi.waitFor(() => expect(started.session.getState().connection.kind).toBe('ok'))
    expect(started.relay.health.checks).toBe(1)
    expect(started.relay.clients[0]).toEqual({ baseUrl: SETTINGS.relayUrl, token: SETTINGS.token })

    started.sandbox.send({ type: 'settings-saved', settings: SETTINGS })
    await vi.waitFor(() => expect(started.session.getState().settings).toEqual(SETTINGS))
    expect(started.relay.health.checks).toBe(1)

    started.session.show('settings')
    started.session.saveSettings({ ...SETTINGS, token: 'another-token-0123456789' })
    expect(started.sandbox.ofType('save-settings')).toHaveLength(1)
    expect(started.session.getState().view).toBe('edit')
    await vi.waitFor(() => expect(started.relay.health.checks).toBe(2))
  })

  it('saves options once the designer pauses', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')])
    started.session.setOptions({ numImages: 2 })
    started.session.setOptions({ numImages: 3 })
    expect(started.scheduled).toHaveLength(1)
    expect(started.sandbox.ofType('save-settings')).toHaveLength(0)
    started.scheduled[0]!()
    expect(started.sandbox.ofType('save-settings').map((message) => message.settings.options.numImages)).toEqual([3])
  })

  it('runs an edit: remembers the job, places the result, then forgets the job and adds it to history', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')])
    started.session.run()
    expect(phaseOf(started).kind).toBe('idle')
    started.session.setPrompt('Make the sky purple')
    started.session.run()
    expect(phaseOf(started).kind).toBe('running')
    started.session.run()
    await waitForPhase(started, 'finished')
    expect(started.relay.uploads).toHaveLength(1)
    expect(phaseOf(started)).toMatchObject({
      kind: 'finished',
      besideSource: true,
      items: [{ sourceId: '1:1', stage: 'done', nodeIds: ['1:1/result-1'], costUsd: 0.08 }]
    })
    expect(started.sandbox.types()).toEqual(['ui-ready', 'export-selection', 'remember-job', 'place-results', 'forget-job', 'add-history'])
    expect(started.sandbox.ofType('remember-job')[0]!.job).toMatchObject({
      jobId: 'job-1',
      relayUrl: SETTINGS.relayUrl,
      sourceId: '1:1',
      prompt: 'Make the sky purple'
    })
    expect(started.sandbox.ofType('add-history')[0]!.entry).toMatchObject({
      jobId: 'job-1',
      prompt: 'Make the sky purple',
      seed: 7,
      costUsd: 0.08,
      nodeIds: ['1:1/result-1']
    })
  })

  it('edits a batch each on its own; one frame failing does not stop the others', async () => {
    const started = startSession(createFakeRelay({ failCreate: [2] }))
    await init(started, [selectionItem('1:1'), selectionItem('1:2'), selectionItem('1:3')])
    started.session.setMode('each')
    started.session.setPrompt('Make the buttons green')
    started.session.run()
    await waitForPhase(started, 'finished')
    const phase = phaseOf(started)
    expect(phase.kind === 'finished' && phase.items.map((item) => item.stage).sort()).toEqual(['done', 'done', 'failed'])
    expect(started.relay.uploads).toHaveLength(3)
    expect(started.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([['1:1'], ['1:2'], ['1:3']])
    expect(started.sandbox.ofType('add-history')).toHaveLength(2)
  })

  it('sends several frames as one edit’s references when asked to', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1'), selectionItem('1:2')])
    await vi.waitFor(() => expect(started.session.getState().connection.kind).toBe('ok'))
    started.session.setMode('together')
    started.session.setPrompt('Put both on one poster')
    started.session.run()
    await waitForPhase(started, 'finished')
    expect(started.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([undefined])
    expect(phaseOf(started)).toMatchObject({ items: [{ sourceId: '1:1', stage: 'done' }] })
  })

  it('cancels while generating, also on the relay; with nothing running, cancel does nothing', async () => {
    const started = startSession(createFakeRelay({ holdJobs: true }))
    await init(started, [selectionItem('1:1')])
    expect(started.session.cancel()).toBe(false)
    started.session.setPrompt('Make the sky purple')
    started.session.run()
    await vi.waitFor(() => expect(phaseOf(started)).toMatchObject({ items: [{ stage: 'generating' }] }))
    expect(started.session.cancel()).toBe(true)
    await waitForPhase(started, 'canceled')
    expect(phaseOf(started)).toEqual({ kind: 'canceled', pending: undefined })
    await vi.waitFor(() => expect(started.relay.canceled).toEqual(['job-1']))
    expect(started.session.cancel()).toBe(false)
    expect(started.sandbox.ofType('place-results')).toHaveLength(0)
  })

  it('keeps a paid result that could not be placed, and Place again places it', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')])
    started.sandbox.failNextPlace()
    started.session.setPrompt('Make the sky purple')
    started.session.run()
    await waitForPhase(started, 'finished')
    const failed = phaseOf(started)
    if (failed.kind !== 'finished') throw new Error('not finished')
    expect(failed.items[0]).toMatchObject({ stage: 'failed', error: { code: 'place_failed' } })
    const pending = failed.items[0]!.pending!
    expect(pending.job.id).toBe('job-1')
    expect(started.sandbox.ofType('forget-job')).toHaveLength(0)

    started.session.placeAgain(pending, 'Frame 1:1')
    await vi.waitFor(() =>
      expect(phaseOf(started)).toMatchObject({ kind: 'finished', items: [{ stage: 'done', nodeIds: ['1:1/result-1'] }] })
    )
    const places = started.sandbox.ofType('place-results')
    expect(places).toHaveLength(2)
    expect(places[1]!.requestId).not.toBe(places[0]!.requestId)
    expect(started.sandbox.ofType('forget-job').map((message) => message.jobId)).toEqual(['job-1'])
    expect(started.relay.uploads).toHaveLength(1)
  })

  it('recovers an edit that finished while the panel was closed, and places it on request', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')], { pendingJobs: [PENDING_JOB] })
    await vi.waitFor(() =>
      expect(started.session.getState().recovered).toMatchObject([{ state: 'ready', pending: { job: { id: 'job-old' } } }])
    )
    const entry = started.session.getState().recovered[0]!
    expect(entry.pending?.images[0]?.provenance).toMatchObject({ prompt: PENDING_JOB.prompt, sourceId: '1:1', relayJobId: 'job-old' })
    started.session.placeRecovered(entry)
    await vi.waitFor(() => expect(started.session.getState().recovered).toEqual([]))
    expect(started.sandbox.ofType('forget-job').map((message) => message.jobId)).toEqual(['job-old'])
    expect(started.sandbox.ofType('add-history')[0]!.entry).toMatchObject({ jobId: 'job-old', elapsedMs: 0 })
  })

  it('forgets an earlier edit that expired on the relay or failed, and says so', async () => {
    const expired = startSession(
      createFakeRelay({
        jobs: {
          'job-old': () => {
            throw new AppError('not_found')
          }
        }
      })
    )
    await init(expired, [], { pendingJobs: [PENDING_JOB] })
    await vi.waitFor(() =>
      expect(expired.session.getState().notice).toBe('An earlier edit expired on the relay before it could be placed.')
    )
    expect(expired.session.getState().recovered).toEqual([])
    expect(expired.sandbox.ofType('forget-job').map((message) => message.jobId)).toEqual(['job-old'])

    const failed = startSession(
      createFakeRelay({ jobs: { 'job-old': () => jobOf('job-old', 'failed', { error: { code: 'moderated', message: 'x' } }) } })
    )
    await init(failed, [], { pendingJobs: [PENDING_JOB] })
    await vi.waitFor(() => expect(failed.session.getState().notice).toMatch(/^An earlier edit did not finish: /))
  })

  it('dismisses a recovered edit without placing it', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')], { pendingJobs: [PENDING_JOB] })
    await vi.waitFor(() => expect(started.session.getState().recovered[0]?.state).toBe('ready'))
    started.session.dismissRecovered(started.session.getState().recovered[0]!)
    expect(started.session.getState().recovered).toEqual([])
    expect(started.sandbox.ofType('forget-job').map((message) => message.jobId)).toEqual(['job-old'])
    expect(started.sandbox.ofType('place-results')).toHaveLength(0)
  })

  it('runs the quick action’s instruction without checking the relay, then notifies and closes', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1')], { command: 'quick', instruction: '  Make it blue ' })
    await vi.waitFor(() => expect(started.sandbox.types()).toContain('close'))
    expect(started.relay.health.checks).toBe(0)
    expect(started.sandbox.ofType('notify').map((message) => message.message)).toEqual([
      'Kontext Edit: editing “Frame 1:1”…',
      'Kontext Edit: generating…'
    ])
    expect(started.sandbox.ofType('close')).toEqual([{ type: 'close', message: 'Kontext Edit: result placed beside “Frame 1:1”' }])
  })

  it('closes the quick action with a reason when it cannot run', async () => {
    const cases = [
      { settings: { ...SETTINGS, token: '' }, selection: [selectionItem('1:1')], instruction: 'Make it blue', says: 'Settings first' },
      { settings: SETTINGS, selection: [], instruction: 'Make it blue', says: 'Select' },
      { settings: SETTINGS, selection: [selectionItem('1:1')], instruction: ' x ', says: 'at least 2 characters' }
    ]
    for (const { settings, selection, instruction, says } of cases) {
      const started = startSession()
      await init(started, selection, { settings, command: 'quick', instruction })
      expect(started.sandbox.ofType('notify')).toEqual([expect.objectContaining({ error: true, message: expect.stringContaining(says) })])
      expect(started.sandbox.types().slice(-1)).toEqual(['close'])
      expect(started.relay.uploads).toHaveLength(0)
    }
  })

  it('“New variation” re-runs a result’s edit on its source with a new seed, once', async () => {
    const started = startSession()
    const provenance = {
      version: 1 as const,
      prompt: 'Make the sky purple',
      provider: 'runware' as const,
      model: 'kontext-max' as const,
      seed: 5,
      options: { aspectRatio: 'auto' as const, numImages: 1, outputFormat: 'png' as const },
      sourceId: '1:1',
      sourceName: 'Hero',
      relayJobId: 'job-before',
      variant: 1,
      resultWidth: 120,
      resultHeight: 96,
      createdAt: new Date(0).toISOString()
    }
    await init(started, [selectionItem('2:1', { provenance })], { command: 'new-variation' })
    expect(started.session.getState().prompt).toBe('Make the sky purple')
    await waitForPhase(started, 'finished')
    expect(started.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([['1:1']])
    expect(started.sandbox.ofType('remember-job')[0]!.job).toMatchObject({ sourceId: '1:1', prompt: 'Make the sky purple' })
    expect(started.sandbox.ofType('remember-job')[0]!.job.options.seed).toBeUndefined()
    started.sandbox.send({ type: 'init', settings: SETTINGS, selection: [selectionItem('2:1', { provenance })], command: 'new-variation' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(started.relay.uploads).toHaveLength(1)
    expect(phaseOf(started).kind).toBe('finished')
  })

  it('says so when a history entry’s result is gone, and asks the sandbox to select only real nodes', async () => {
    const started = startSession()
    await init(started, [])
    started.session.selectNodes([])
    expect(started.sandbox.ofType('select-nodes')).toHaveLength(0)
    started.session.selectNodes(['3:1'])
    expect(started.sandbox.ofType('select-nodes')).toEqual([{ type: 'select-nodes', nodeIds: ['3:1'] }])
    started.sandbox.send({ type: 'nodes-selected', found: 0 })
    await vi.waitFor(() => expect(started.session.getState().notice).toBe('That result is no longer in this file.'))
  })
})
