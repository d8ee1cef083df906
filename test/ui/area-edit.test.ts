import { describe, expect, it, vi } from 'vitest'
import type { AreaOffer } from '../../shared/area/area-geometry'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import type { LaunchCommand, PendingJob, SelectionItem } from '../../shared/messages'
import type { Provenance } from '../../shared/provenance'
import { areaOutputSizes } from '../../shared/area/area-output-sizes'
import { UNBLENDED_NOTE } from '../../ui/edit/collect-area-results-async'
import { NOT_REEXPORTED_NOTE } from '../../ui/edit/recover-area-results-async'
import type { PanelState } from '../../ui/state/panel-state'
import {
  ANSWER_PNG,
  AREA_CROP_PNG,
  AREA_FRAME_PNG,
  areaGeometry,
  COMPOSITE_PNG,
  createFakeCompositor,
  createFakeRelay,
  selectionItem,
  SETTINGS,
  startSession
} from './edit-session-fakes'

type Started = ReturnType<typeof startSession>

const OFFER: AreaOffer = {
  containerId: '1:1',
  containerName: 'Hero',
  containerWidth: 1440,
  containerHeight: 900,
  nodeIds: ['1:7'],
  label: '“Spring Sale” in “Hero”',
  rect: { x: 200, y: 120, width: 320, height: 80 }
}

const TEXT = selectionItem('1:7', {
  name: 'Headline',
  type: 'TEXT',
  width: 320,
  height: 80,
  texts: [{ id: '1:7', characters: 'Spring Sale' }]
})

function init(
  started: Started,
  selection: SelectionItem[],
  area: AreaOffer | undefined,
  extra: { command?: LaunchCommand; instruction?: string; pendingJobs?: PendingJob[] } = {}
): Promise<void> {
  started.sandbox.send({
    type: 'init',
    settings: SETTINGS,
    selection,
    ...(area === undefined ? {} : { area }),
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

async function runToEnd(
  started: Started,
  prompt = "Replace 'Spring Sale' with 'Summer Sale'"
): Promise<Extract<PanelState['phase'], { kind: 'finished' }>> {
  started.session.setPrompt(prompt)
  started.session.run()
  await vi.waitFor(() => expect(phaseOf(started).kind).toBe('finished'))
  const phase = phaseOf(started)
  if (phase.kind !== 'finished') throw new Error('not finished')
  return phase
}

const REGION_PROVENANCE: Provenance = {
  version: 1,
  prompt: "Replace 'Spring Sale' with 'Summer Sale'",
  provider: 'runware',
  model: 'kontext-pro',
  seed: 5,
  options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png' },
  sourceId: '1:1',
  sourceName: 'Hero',
  relayJobId: 'job-before',
  variant: 1,
  resultWidth: 1568,
  resultHeight: 672,
  createdAt: new Date(0).toISOString(),
  area: {
    containerId: '1:1',
    nodeIds: ['1:7'],
    label: '“Spring Sale” in “Hero”',
    geometry: areaGeometry({ x: 200, y: 120, width: 320, height: 80 })
  }
}

describe('region edits in the panel', () => {
  it('runs “This area only”: exports the area, sends the crop alone as PNG at the crop’s ratio, blends and places the frame', async () => {
    const started = startSession()
    await init(started, [TEXT], OFFER)
    expect(started.session.getState()).toMatchObject({ area: OFFER, areaScope: 'area' })
    const phase = await runToEnd(started)

    const [exported] = started.sandbox.ofType('export-area')
    expect(exported).toMatchObject({ containerId: '1:1', nodeIds: ['1:7'] })
    expect(exported!.rect).toBeUndefined()
    // The relay is not asked yet, so the catalogue's [max] sizes: the crop takes one of their ratios.
    expect(exported!.outputSizes).toEqual(KONTEXT_SIZES.map(({ width, height }) => ({ width, height })))
    expect(started.sandbox.ofType('export-selection')).toHaveLength(0)

    expect(started.relay.uploads).toHaveLength(1)
    expect(started.relay.uploads[0]!.map((image) => image.bytes)).toEqual([AREA_CROP_PNG])
    expect(started.relay.requests[0]).toMatchObject({ aspectRatio: 'auto', outputFormat: 'png', numImages: 1 })

    expect(started.compositor.prepared).toEqual([
      {
        frame: { png: AREA_FRAME_PNG, width: 2880, height: 1800 },
        geometry: areaGeometry(),
        answers: [{ bytes: ANSWER_PNG, contentType: 'image/png' }],
        closed: true
      }
    ])
    const [placed] = started.sandbox.ofType('place-results')
    expect(placed!.sourceId).toBe('1:1')
    expect(placed!.images).toHaveLength(1)
    const image = placed!.images[0]!
    expect(image).toMatchObject({ bytes: COMPOSITE_PNG, contentType: 'image/png', width: 2880, height: 1800 })
    expect(image.provenance).toMatchObject({
      sourceId: '1:1',
      sourceName: 'Frame 1:1',
      resultWidth: 120,
      resultHeight: 96,
      area: { containerId: '1:1', nodeIds: ['1:7'], label: OFFER.label, geometry: areaGeometry(), drift: started.compositor.control.drift }
    })
    expect(started.sandbox.ofType('remember-job')[0]!.job.area).toEqual({
      containerId: '1:1',
      nodeIds: ['1:7'],
      label: OFFER.label,
      geometry: areaGeometry()
    })
    expect(phase.items).toMatchObject([
      { sourceId: '1:1', name: 'Hero', stage: 'done', area: { label: OFFER.label, driftLarge: false, notes: [] } }
    ])
    expect(phase.items[0]!.area!.before).toBeDefined()
    expect(phase.items[0]!.area!.afters).toHaveLength(1)
    expect(phase.items[0]!.resolutionNote).toBeUndefined()
  })

  it('blends each variant of one upload, and warns when the model changed the surroundings', async () => {
    const started = startSession()
    started.compositor.control.drift = { r: 40, g: 38, b: 41, residual: 20, offsetX: 2, offsetY: 2, large: true }
    await init(started, [TEXT], OFFER)
    started.session.setOptions({ numImages: 3 })
    started.sandbox.areaExport.notes.push('This frame is larger than 4096 px at 2×, so it is rendered at 1.4×.')
    const phase = await runToEnd(started)
    expect(started.relay.uploads).toHaveLength(1)
    // One frame decoded for the three answers.
    expect(started.compositor.prepared).toHaveLength(1)
    expect(started.compositor.prepared[0]!.answers).toHaveLength(3)
    expect(started.sandbox.ofType('place-results')).toHaveLength(1)
    expect(started.sandbox.ofType('place-results')[0]!.images.map((image) => image.provenance.area?.drift?.large)).toEqual([
      true,
      true,
      true
    ])
    expect(phase.items[0]!.area).toMatchObject({
      driftLarge: true,
      notes: ['This frame is larger than 4096 px at 2×, so it is rendered at 1.4×.']
    })
    expect(phase.items[0]!.area!.afters).toHaveLength(3)
  })

  it('places the model’s answer as it is, with a note, when it cannot be blended', async () => {
    const started = startSession()
    started.compositor.control.fail = true
    await init(started, [TEXT], OFFER)
    const phase = await runToEnd(started)
    const image = started.sandbox.ofType('place-results')[0]!.images[0]!
    expect(image).toMatchObject({ bytes: ANSWER_PNG, width: 120, height: 96 })
    expect(image.provenance.area).toBeUndefined()
    expect(phase.items[0]).toMatchObject({ stage: 'done', area: { notes: [UNBLENDED_NOTE], afters: [] } })
    expect(phase.items[0]!.area!.before).toBeUndefined()
    expect(started.logs).toContainEqual(expect.objectContaining({ message: expect.stringContaining('could not blend') }))
  })

  it('places the answers as they are when no compositor can start (no canvas)', async () => {
    const fake = createFakeCompositor()
    const started = startSession(undefined, {
      ...fake,
      prepareComposite: () => {
        throw new Error('OffscreenCanvas is not defined')
      }
    })
    await init(started, [TEXT], OFFER)
    const phase = await runToEnd(started)
    expect(started.sandbox.ofType('place-results')[0]!.images[0]).toMatchObject({ bytes: ANSWER_PNG, width: 120, height: 96 })
    expect(phase.items[0]).toMatchObject({ stage: 'done', area: { notes: [UNBLENDED_NOTE] } })
  })

  it('frees the decoded frame when the edit is canceled while generating', async () => {
    const started = startSession(createFakeRelay({ holdJobs: true }))
    await init(started, [TEXT], OFFER)
    started.session.setPrompt('Make the headline red')
    started.session.run()
    await vi.waitFor(() => expect(phaseOf(started)).toMatchObject({ items: [{ stage: 'generating' }] }))
    expect(started.compositor.prepared.map((entry) => entry.closed)).toEqual([false])
    started.session.cancel()
    await vi.waitFor(() => expect(phaseOf(started).kind).toBe('canceled'))
    expect(started.compositor.prepared.map((entry) => [entry.answers.length, entry.closed])).toEqual([[0, true]])
    expect(started.sandbox.ofType('place-results')).toHaveLength(0)
  })

  it('edits the whole frame when the designer chooses it, or when the sandbox gives a reason', async () => {
    const chosen = startSession()
    await init(chosen, [TEXT], OFFER)
    chosen.session.setAreaScope('frame')
    await runToEnd(chosen)
    expect(chosen.sandbox.ofType('export-area')).toHaveLength(0)
    expect(chosen.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([['1:1']])
    expect(chosen.compositor.prepared).toHaveLength(0)

    for (const reason of [{ problem: 'The selection spans two frames.' }, { wholeFrameNote: 'The area covers nearly all of “Hero”.' }]) {
      const started = startSession()
      await init(started, [TEXT], { ...OFFER, ...reason })
      await runToEnd(started)
      expect(started.sandbox.ofType('export-area')).toHaveLength(0)
      expect(started.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([['1:1']])
    }
  })

  it('asks for the sizes the chosen host makes for the chosen model', () => {
    const plain = (sizes: ReadonlyArray<{ width: number; height: number }>) => sizes.map(({ width, height }) => ({ width, height }))
    expect(areaOutputSizes('comfyui', 'kontext-dev')).toEqual(plain(KONTEXT_DEV_SIZES))
    expect(areaOutputSizes('runware', 'kontext-dev')).toEqual(plain(KONTEXT_DEV_SIZES))
    // fal's and Replicate's [dev] answer at the nine sizes of [pro]/[max] (shared/models.ts).
    expect(areaOutputSizes('fal', 'kontext-dev')).toEqual(plain(KONTEXT_SIZES))
    expect(areaOutputSizes('runware', 'kontext-pro')).toEqual(plain(KONTEXT_SIZES))
    expect(areaOutputSizes(undefined, 'kontext-dev')).toEqual(plain(KONTEXT_DEV_SIZES))
    expect(areaOutputSizes(undefined, 'kontext-max')).toEqual(plain(KONTEXT_SIZES))
  })

  it('keeps the whole-frame choice while the same layers stay selected, and offers the area again for others', async () => {
    const started = startSession()
    await init(started, [TEXT], OFFER)
    started.session.setAreaScope('frame')
    started.sandbox.send({ type: 'selection', selection: [TEXT], area: OFFER })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(started.session.getState().areaScope).toBe('frame')
    started.sandbox.send({ type: 'selection', selection: [TEXT], area: { ...OFFER, nodeIds: ['1:8'], label: '“Shop now” in “Hero”' } })
    await vi.waitFor(() => expect(started.session.getState().areaScope).toBe('area'))
    started.sandbox.send({ type: 'selection', selection: [selectionItem('1:1'), selectionItem('1:2')] })
    await vi.waitFor(() => expect(started.session.getState().area).toBeUndefined())
  })

  it('edits several top-level frames each on its own, as before', async () => {
    const started = startSession()
    await init(started, [selectionItem('1:1'), selectionItem('1:2')], undefined)
    started.session.setMode('each')
    await runToEnd(started, 'Make the buttons green')
    expect(started.sandbox.ofType('export-area')).toHaveLength(0)
    expect(started.sandbox.ofType('export-selection').map((message) => message.nodeIds)).toEqual([['1:1'], ['1:2']])
  })

  it('Edit again on a region result edits the same area of it, and links back to it', async () => {
    const started = startSession()
    const result = selectionItem('2:1', { name: 'Hero · Kontext edit', width: 1440, height: 900, provenance: REGION_PROVENANCE })
    await init(started, [result], undefined, { command: 'edit-again' })
    await runToEnd(started, 'Make the headline red')
    expect(started.sandbox.ofType('export-area')).toEqual([
      expect.objectContaining({ containerId: '2:1', nodeIds: ['2:1'], rect: REGION_PROVENANCE.area!.geometry.area })
    ])
    const image = started.sandbox.ofType('place-results')[0]!.images[0]!
    expect(image.provenance.parent).toEqual({ nodeId: '2:1', relayJobId: 'job-before' })
    expect(image.provenance.area).toMatchObject({ containerId: '2:1', nodeIds: ['2:1'], label: REGION_PROVENANCE.area!.label })
  })

  it('New variation on a region result re-runs the same area of the original frame with a new seed', async () => {
    const started = startSession()
    const result = selectionItem('2:1', { name: 'Hero · Kontext edit', width: 1440, height: 900, provenance: REGION_PROVENANCE })
    await init(started, [result], undefined, { command: 'new-variation' })
    await vi.waitFor(() => expect(phaseOf(started).kind).toBe('finished'))
    expect(started.sandbox.ofType('export-area')).toEqual([
      expect.objectContaining({
        containerId: '1:1',
        nodeIds: ['1:7'],
        rect: REGION_PROVENANCE.area!.geometry.area,
        outputSizes: KONTEXT_SIZES.map(({ width, height }) => ({ width, height }))
      })
    ])
    expect(started.relay.requests[0]!.seed).toBeUndefined()
    expect(started.sandbox.ofType('place-results')[0]!.sourceId).toBe('1:1')
  })

  it('runs the quick action on the area when one is offered', async () => {
    const started = startSession()
    await init(started, [TEXT], OFFER, { command: 'quick', instruction: "Replace 'Spring Sale' with 'Summer Sale'" })
    await vi.waitFor(() => expect(started.sandbox.types()).toContain('close'))
    expect(started.sandbox.ofType('export-area')).toHaveLength(1)
    expect(started.sandbox.ofType('close')).toEqual([{ type: 'close', message: 'Kontext Edit: result placed beside “Hero”' }])
  })
})

describe('recovering a region edit that finished while the panel was closed', () => {
  const job: PendingJob = {
    jobId: 'job-old',
    relayUrl: 'http://relay.test',
    sourceId: '1:1',
    sourceName: 'Hero',
    prompt: "Replace 'Spring Sale' with 'Summer Sale'",
    options: { aspectRatio: 'auto', numImages: 1, outputFormat: 'png' },
    createdAt: new Date(0).toISOString(),
    area: { containerId: '1:1', nodeIds: ['1:7'], label: OFFER.label, geometry: areaGeometry() }
  }

  async function recover(started: Started) {
    await init(started, [], undefined, { pendingJobs: [job] })
    await vi.waitFor(() => expect(started.session.getState().recovered[0]?.state).toBe('ready'))
    return started.session.getState().recovered[0]!.pending!
  }

  it('exports the stored area again and blends the answer into it', async () => {
    const started = startSession()
    const pending = await recover(started)
    expect(started.sandbox.ofType('export-area')).toEqual([
      expect.objectContaining({ containerId: '1:1', nodeIds: ['1:7'], rect: areaGeometry().area })
    ])
    expect(started.compositor.prepared.map((entry) => [entry.answers.length, entry.closed])).toEqual([[1, true]])
    expect(pending.images[0]).toMatchObject({
      bytes: COMPOSITE_PNG,
      width: 2880,
      height: 1800,
      provenance: { area: { label: OFFER.label } }
    })
    expect(pending.area!.notes).toEqual([])
  })

  it('places the answer as it is, with a note, when the frame is gone or no longer lines up', async () => {
    const gone = startSession()
    gone.sandbox.failNextAreaExport()
    const unplaced = await recover(gone)
    expect(unplaced.images[0]).toMatchObject({ bytes: ANSWER_PNG, width: 120, height: 96 })
    expect(unplaced.images[0]!.provenance.area).toBeUndefined()
    expect(unplaced.area!.notes).toEqual([NOT_REEXPORTED_NOTE])
    expect(gone.compositor.prepared).toHaveLength(0)

    const moved = startSession()
    moved.sandbox.areaExport.geometry = { ...areaGeometry(), containerWidth: 1200 }
    expect((await recover(moved)).area!.notes).toEqual([NOT_REEXPORTED_NOTE])
    expect(moved.compositor.prepared).toHaveLength(0)
  })
})
