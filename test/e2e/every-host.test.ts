import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { estimateCostUsd, modelsOf, offerOf, ProviderId, TEXT_MODEL } from '../../shared/models'
import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import { referenceSize, referenceTargetOf } from '../../shared/reference-target'
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

  /** The host's fake, the relay in front of it, and the plugin on a fake Figma with a 1440×900 hero selected. */
  async function openAsync(provider: ProviderId) {
    const host = await FAKE_HOSTS[provider]()
    running.push(host)
    const relay: RunningRelay = await startRelayAsync({ ...host.env, DEFAULT_PROVIDER: provider })
    running.push(relay)
    const figma = createFakeFigma()
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    const { bridge } = startPlugin(figma)
    return { host, figma, hero, deps: editDeps(bridge, relay.url, relay.token) }
  }

  it.each(ProviderId.options)('%s places the result beside the source', async (provider) => {
    const { host, figma, hero, deps } = await openAsync(provider)
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

  /**
   * FLUX.2 [flex] at the frame's own shape: the plugin exports the 1440×900 hero at up to 4 MP
   * (not 2×: that would be 5.2 MP), the relay asks the host for that shape on its grid, and the ledger is
   * charged the per-megapixel price of what was asked and sent (or the host's own figure).
   */
  const flex = ProviderId.options.filter((provider) => offerOf(provider, TEXT_MODEL) !== undefined)
  it.each(flex)('%s edits with FLUX.2 [flex] at the frame’s shape, up to 4 MP, at its per-megapixel price', async (provider) => {
    const { figma, hero, deps } = await openAsync(provider)
    const signal = new AbortController().signal
    const offer = offerOf(provider, TEXT_MODEL)!
    if (offer.output.kind !== 'free') throw new Error('FLUX.2 has free sizes')

    const input = editInput(
      'f',
      'Replace “Spring Sale” with “Summer Sale”',
      { ...DEFAULT_OPTIONS, model: TEXT_MODEL, numImages: 1, seed: 3 },
      provider
    )
    const pending = await produceResultsAsync(input, deps, signal)
    const placed = await placePendingAsync(pending, deps, signal)

    expect(pending.job).toMatchObject({ status: 'succeeded', provider, model: TEXT_MODEL })
    const node = figma.currentPage.children.find((child) => child.id === placed.nodeIds[0]) as FakeRectangle
    const size = imageSize(figma.imageBytes((node.fills as ReadonlyArray<ImagePaint>)[0]!.imageHash!)!)
    const [width, height] = [size.width, size.height]
    // On the host's grid, within 4 MP and its sides, the frame's shape to a grid step, far more than Kontext's 1 MP.
    expect(width % offer.output.step).toBe(0)
    expect(height % offer.output.step).toBe(0)
    expect(width * height).toBeLessThanOrEqual(offer.output.maxPixels)
    expect(Math.max(width, height)).toBeLessThanOrEqual(offer.output.maxSide)
    expect(Math.abs(width - (height * 1440) / 900)).toBeLessThan(offer.output.step * 2.6)
    expect(width * height).toBeGreaterThan(2_000_000)
    // The reference went at the model's size too: up to 4 MP of the hero's 2× render, within the host's sides.
    const reference = referenceSize(hero, referenceTargetOf(offer))
    expect(reference.width * reference.height).toBeGreaterThan(2_000_000)
    const expected = estimateCostUsd(offer.price, {
      images: 1,
      outputPixels: width * height,
      inputPixels: reference.width * reference.height
    })
    if (pending.job.costEstimated === true) expect(pending.job.cost).toBe(expected)
    else expect(pending.job.cost).toBeGreaterThan(0)
    const provenance = Provenance.parse(JSON.parse(node.getPluginData(PROVENANCE_KEY)))
    expect(provenance).toMatchObject({ provider, model: TEXT_MODEL })
  })
})
