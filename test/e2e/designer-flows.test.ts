import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { PendingJob, PluginToUi } from '../../shared/messages'
import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import { DEFAULT_OPTIONS } from '../../shared/settings'
import { collectResultsAsync, type ResultContext } from '../../ui/edit/collect-results-async'
import { placePendingAsync } from '../../ui/edit/place-pending-async'
import { produceResultsAsync } from '../../ui/edit/produce-results-async'
import { runPlanAsync, type Plan } from '../../ui/edit/run-plan-async'
import { createRelayClient } from '../../client/relay-client'
import { waitForEditAsync } from '../../client/wait-for-edit-async'
import type { ItemState } from '../../ui/state/panel-state'
import { createFakeFigma, FakeRectangle, type FakeFigma } from '../fakes/fake-figma'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { editDeps, editInput, startPlugin } from '../support/plugin-harness'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'
import { sleepAsync } from '../../shared/sleep-async'

const capabilities = catalogueCapabilities('runware', 'kontext-max')!

function provenanceOf(node: FakeRectangle): Provenance {
  return Provenance.parse(JSON.parse(node.getPluginData(PROVENANCE_KEY)))
}

describe('designer flows end to end', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  let figma: FakeFigma

  beforeEach(async () => {
    runware = await startFakeRunwareAsync({ apiKey: 'rw-flows-key-0123456789' })
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
    figma = createFakeFigma()
  })
  afterEach(async () => {
    await relay.close()
    await runware.close()
  })

  it('edits three frames each on its own, placing every result beside its own source', async () => {
    const frames = [0, 1, 2].map((row) => figma.frame(`Screen ${row + 1}`, { x: 0, y: row * 1000, width: 375, height: 812 }))
    figma.select(frames)
    const { bridge } = startPlugin(figma)
    const plan: Plan = {
      items: frames.map((frame) => ({ sourceId: frame.id, name: frame.name, nodeIds: [frame.id], frame: { width: 375, height: 812 } })),
      prompt: 'Make the buttons green',
      options: DEFAULT_OPTIONS,
      capabilities,
      provider: undefined
    }
    const items: Array<Partial<ItemState>> = frames.map(() => ({}))
    const created: string[] = []
    const placedJobs: string[] = []
    const outcome = await runPlanAsync(
      plan,
      () => editDeps(bridge, relay.url, relay.token),
      {
        onItem: (index, patch) => (items[index] = { ...items[index], ...patch }),
        onJobCreated: (jobId) => created.push(jobId),
        onPlaced: (pending) => placedJobs.push(pending.job.id)
      },
      new AbortController().signal,
      () => Math.random().toString(36).slice(2)
    )
    expect(outcome.besideSource).toBe(true)
    expect(items.map((item) => item.stage)).toEqual(['done', 'done', 'done'])
    expect(new Set(created)).toEqual(new Set(placedJobs))
    expect(runware.accepted).toHaveLength(3)
    for (const [index, frame] of frames.entries()) {
      const rect = figma.currentPage.children.find((node) => node.id === items[index]!.nodeIds![0]) as FakeRectangle
      expect({ x: rect.x, y: rect.y, width: rect.width, height: rect.height }).toEqual({ x: 415, y: frame.y, width: 375, height: 812 })
      expect(provenanceOf(rect)).toMatchObject({ sourceId: frame.id, sourceName: frame.name })
    }
    // A 672×1568 result has more pixels than a 375×812 frame: nothing to warn about.
    expect(items[0]!.resolutionNote).toBeUndefined()
  })

  it('says when a result has fewer pixels than its frame', async () => {
    const big = figma.frame('Billboard', { x: 0, y: 0, width: 2880, height: 1556 })
    figma.select([big])
    const { bridge } = startPlugin(figma)
    const items: Array<Partial<ItemState>> = [{}]
    await runPlanAsync(
      {
        items: [{ sourceId: big.id, name: big.name, nodeIds: undefined, frame: { width: 2880, height: 1556 } }],
        prompt: 'Make the sky purple',
        options: DEFAULT_OPTIONS,
        capabilities,
        provider: undefined
      },
      () => editDeps(bridge, relay.url, relay.token),
      { onItem: (_index, patch) => (items[0] = { ...items[0], ...patch }), onJobCreated: () => undefined, onPlaced: () => undefined },
      new AbortController().signal,
      () => 'r'
    )
    expect(items[0]!.resolutionNote).toBe(
      '1392×752 result for a 2880×1556 frame (asked for 1392×752). Kontext works at about one megapixel.'
    )
  })

  it('edits a result again: the new result points to it as its parent', async () => {
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    const { bridge } = startPlugin(figma)
    const deps = editDeps(bridge, relay.url, relay.token)
    const signal = new AbortController().signal
    const first = await placePendingAsync(
      await produceResultsAsync(editInput('a', 'Make it night', DEFAULT_OPTIONS), deps, signal),
      deps,
      signal
    )
    const result = figma.currentPage.children.find((node) => node.id === first.nodeIds[0]) as FakeRectangle
    figma.select([result])
    const parent = { nodeId: result.id, relayJobId: provenanceOf(result).relayJobId }
    const second = await placePendingAsync(
      await produceResultsAsync({ ...editInput('b', 'Add stars', DEFAULT_OPTIONS), parent }, deps, signal),
      deps,
      signal
    )
    const child = figma.currentPage.children.find((node) => node.id === second.nodeIds[0]) as FakeRectangle
    expect(provenanceOf(child)).toMatchObject({ prompt: 'Add stars', sourceId: result.id, parent })
    expect(child.x).toBe(result.x + result.width + 40)
  })

  it('places a result that finished after the panel closed, the next time it opens', async () => {
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    runware.setLatency(800)
    // First session: the edit starts, the panel remembers the job, then closes before it ends.
    const first = startPlugin(figma)
    const controller = new AbortController()
    const remembered = new Promise<string>((resolve) => {
      void produceResultsAsync(
        editInput('a', 'Make it night', DEFAULT_OPTIONS),
        {
          ...editDeps(first.bridge, relay.url, relay.token),
          onJobCreated: (jobId, context: ResultContext) => {
            const job = PendingJob.parse({
              jobId,
              relayUrl: relay.url,
              sourceId: context.sourceId,
              sourceName: context.sourceName,
              prompt: context.prompt,
              options: context.options,
              createdAt: new Date().toISOString()
            })
            first.bridge.post({ type: 'remember-job', job })
            resolve(jobId)
            controller.abort(new Error('the panel closed'))
          }
        },
        controller.signal
      ).catch(() => undefined)
    })
    const jobId = await remembered
    await figma.flushAsync()
    expect(figma.currentPage.children.filter((node) => node instanceof FakeRectangle)).toHaveLength(0)

    // Next session: the sandbox hands over the pending job; the panel fetches and places it.
    const second = startPlugin(figma)
    const messages: PluginToUi[] = []
    second.bridge.on((message) => messages.push(message))
    second.bridge.post({ type: 'ui-ready' })
    await figma.flushAsync()
    const init = messages.find((message) => message.type === 'init')
    expect(init?.type === 'init' && init.pendingJobs.map((job) => job.jobId)).toContain(jobId)
    const pendingJob = init?.type === 'init' ? init.pendingJobs.find((job) => job.jobId === jobId)! : undefined
    const relayClient = createRelayClient({ baseUrl: relay.url, token: relay.token, fetch })
    const finished = await waitForEditAsync(relayClient, jobId, { signal: new AbortController().signal, sleepAsync, now: Date.now })
    expect(finished.status).toBe('succeeded')
    const deps = editDeps(second.bridge, relay.url, relay.token)
    const pending = await collectResultsAsync(
      finished,
      {
        requestId: 'recovered',
        prompt: pendingJob!.prompt,
        sourceId: pendingJob!.sourceId,
        sourceName: pendingJob!.sourceName,
        options: pendingJob!.options
      },
      deps,
      new AbortController().signal
    )
    const placed = await placePendingAsync(pending, deps, new AbortController().signal)
    const rect = figma.currentPage.children.find((node) => node.id === placed.nodeIds[0]) as FakeRectangle
    expect(rect).toMatchObject({ x: 1480, y: 0, name: 'Hero · Kontext edit' })
    expect(runware.accepted).toHaveLength(1)
  })
})
