import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { modelsOf, ProviderId } from '../../shared/models'
import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import { DEFAULT_OPTIONS } from '../../shared/settings'
import { placePendingAsync } from '../../ui/edit/place-pending-async'
import { produceResultsAsync } from '../../ui/edit/produce-results-async'
import { createFakeFigma, FakeRectangle } from '../fakes/fake-figma'
import { FAKE_HOSTS } from '../fakes/fake-hosts'
import { editDeps, editInput, startPlugin } from '../support/plugin-harness'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'

/**
 * The same plugin request, through each host's fake: the real sandbox on the fake Figma, the
 * panel's logic, the relay over HTTP, and the host's contract as docs/hosts.md documents it.
 */
describe('one edit, every host', () => {
  const running: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    while (running.length > 0) await running.pop()!.close()
  })

  it.each(ProviderId.options)('%s places the result beside the source', async (provider) => {
    const host = await FAKE_HOSTS[provider]()
    running.push(host)
    const relay: RunningRelay = await startRelayAsync({ ...host.env, DEFAULT_PROVIDER: provider })
    running.push(relay)
    const figma = createFakeFigma()
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    const { bridge } = startPlugin(figma)
    const deps = editDeps(bridge, relay.url, relay.token)
    const model = modelsOf(provider)[0]!
    const signal = new AbortController().signal

    const pending = await produceResultsAsync(
      editInput('r', 'Make the headline say Summer Sale', { ...DEFAULT_OPTIONS, model, numImages: 2, seed: 7 }, provider),
      deps,
      signal
    )
    const placed = await placePendingAsync(pending, deps, signal)

    expect(pending.job).toMatchObject({ status: 'succeeded', provider, model })
    expect(placed.nodeIds).toHaveLength(2)
    const rects = placed.nodeIds.map((id) => figma.currentPage.children.find((node) => node.id === id))
    for (const [index, rect] of rects.entries()) {
      expect(rect).toBeInstanceOf(FakeRectangle)
      const node = rect as FakeRectangle
      expect({ x: node.x, y: node.y, width: node.width, height: node.height }).toEqual({
        x: 1480 + index * 1480,
        y: 0,
        width: 1440,
        height: 900
      })
      const provenance = Provenance.parse(JSON.parse(node.getPluginData(PROVENANCE_KEY)))
      expect(provenance).toMatchObject({ provider, model, variant: index + 1, sourceId: hero.id })
      const fill = (node.fills as ReadonlyArray<ImagePaint>)[0]!
      const size = imageSize(figma.imageBytes(fill.imageHash!)!)
      expect(size.width / size.height).toBeCloseTo(1440 / 900, 0)
    }
    expect(host.submissions()).toBeGreaterThanOrEqual(1)
    expect(host.submissions()).toBeLessThanOrEqual(2)
  })
})
