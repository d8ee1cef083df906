import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { PluginToUi, ResultImage } from '../../shared/messages'
import { makePng } from '../fakes/make-image'
import { collectTexts } from '../../plugin/selection/collect-texts'
import { RELAUNCH_DATA } from '../../plugin/place/place-results-async'
import { createFakeFigma, FakeRectangle } from '../fakes/fake-figma'
import { startPlugin } from '../support/plugin-harness'

async function reply(figma: ReturnType<typeof createFakeFigma>, send: () => void): Promise<PluginToUi[]> {
  const messages: PluginToUi[] = []
  const off = figma.onUiMessage((message) => messages.push(PluginToUi.parse(message)))
  send()
  await figma.flushAsync()
  off()
  return messages
}

const job = (jobId: string, createdAt = new Date().toISOString()) => ({
  jobId,
  relayUrl: 'http://127.0.0.1:8787',
  sourceId: '1:1',
  sourceName: 'Hero',
  prompt: 'Make it blue',
  options: { aspectRatio: 'auto' as const, numImages: 1, outputFormat: 'png' as const },
  createdAt
})

describe('reading the text in a frame', () => {
  it('lists visible text layers in reading order: rows top to bottom, left to right within a row', () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 800, height: 600 })
    figma.text('Price', { x: 400, y: 300, width: 100, height: 30 }, '$49', card)
    figma.text('Title', { x: 40, y: 40, width: 300, height: 60 }, 'Spring Sale', card)
    const group = figma.frame('Footer', { x: 0, y: 500, width: 800, height: 100 }, card)
    figma.text('Legal', { x: 20, y: 20, width: 200, height: 20 }, 'Terms apply', group)
    figma.text('Label', { x: 40, y: 305, width: 100, height: 20 }, 'Now only', card)
    figma.text('Empty', { x: 40, y: 400, width: 100, height: 20 }, '   ', card)
    const hidden = figma.text('Hidden', { x: 40, y: 450, width: 100, height: 20 }, 'Secret', card)
    hidden.visible = false
    expect(collectTexts(card).map((text) => text.characters)).toEqual(['Spring Sale', 'Now only', '$49', 'Terms apply'])
  })
})

describe('the sandbox’s memory between sessions', () => {
  it('hands the panel its launch command, pending jobs and this file’s history when it opens', async () => {
    const figma = createFakeFigma()
    const card = figma.frame('Card', { x: 0, y: 0, width: 100, height: 100 })
    figma.text('Title', { x: 10, y: 10, width: 80, height: 20 }, 'Spring Sale', card)
    figma.select([card])
    startPlugin(figma, { command: 'quick', instruction: 'Make it blue' })
    await reply(figma, () => figma.sendFromUi({ type: 'remember-job', job: job('j1') }))
    await reply(figma, () =>
      figma.sendFromUi({ type: 'remember-job', job: job('stale', new Date(Date.now() - 48 * 3600 * 1000).toISOString()) })
    )
    const [init] = await reply(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(init).toMatchObject({ type: 'init', command: 'quick', instruction: 'Make it blue', pendingJobs: [{ jobId: 'j1' }], history: [] })
    expect(init?.type === 'init' && init.selection[0]?.texts).toEqual([{ id: expect.any(String), characters: 'Spring Sale' }])

    await reply(figma, () => figma.sendFromUi({ type: 'forget-job', jobId: 'j1' }))
    const [again] = await reply(figma, () => figma.sendFromUi({ type: 'ui-ready' }))
    expect(again).toMatchObject({ pendingJobs: [] })
  })

  it('keeps history per file, newest first, with a thumbnail exported from the result', async () => {
    const figma = createFakeFigma()
    const result = figma.rectangle('Hero · Kontext edit', { x: 0, y: 0, width: 400, height: 200 })
    startPlugin(figma)
    const entry = {
      jobId: 'j1',
      prompt: 'Make it blue',
      provider: 'runware',
      model: 'kontext-max',
      seed: 3,
      costUsd: 0.08,
      elapsedMs: 9000,
      createdAt: new Date().toISOString(),
      sourceName: 'Hero',
      nodeIds: [result.id]
    }
    const [history] = await reply(figma, () => figma.sendFromUi({ type: 'add-history', entry }))
    expect(history).toMatchObject({ type: 'history', history: [{ ...entry, thumbnail: expect.any(Uint8Array) }] })
    expect(result.exports.at(-1)).toMatchObject({ format: 'JPG', constraint: { type: 'WIDTH', value: 96 } })
    const [second] = await reply(figma, () =>
      figma.sendFromUi({ type: 'add-history', entry: { ...entry, jobId: 'j2', prompt: 'Make it red' } })
    )
    expect(second?.type === 'history' && second.history.map((item) => item.jobId)).toEqual(['j2', 'j1'])

    // Another file has its own history.
    const other = createFakeFigma()
    other.storage.set('kontext-edit/settings', {})
    for (const [key, value] of figma.storage) other.storage.set(key, value)
    startPlugin(other)
    const [init] = await reply(other, () => other.sendFromUi({ type: 'ui-ready' }))
    expect(init).toMatchObject({ history: [] })
  })

  it('selects a result from history, and says when it is gone', async () => {
    const figma = createFakeFigma()
    const result = figma.rectangle('Hero · Kontext edit', { x: 0, y: 0, width: 40, height: 20 })
    startPlugin(figma)
    expect(await reply(figma, () => figma.sendFromUi({ type: 'select-nodes', nodeIds: [result.id] }))).toEqual([
      { type: 'nodes-selected', found: 1 }
    ])
    expect(figma.currentPage.selection).toEqual([result])
    result.remove()
    expect(await reply(figma, () => figma.sendFromUi({ type: 'select-nodes', nodeIds: [result.id] }))).toEqual([
      { type: 'nodes-selected', found: 0 }
    ])
  })

  it('ends a quick action with Figma’s closing message', async () => {
    const figma = createFakeFigma()
    startPlugin(figma, { command: 'quick', instruction: 'x' })
    await reply(figma, () => figma.sendFromUi({ type: 'close', message: 'Kontext Edit: result placed' }))
    expect({ closed: figma.closed, message: figma.closeMessage }).toEqual({ closed: true, message: 'Kontext Edit: result placed' })
  })
})

describe('a placed result', () => {
  it('carries “Edit again” and “New variation” relaunch buttons that the manifest declares', async () => {
    const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as { relaunchButtons: Array<{ command: string }> }
    const figma = createFakeFigma({ manifest })
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 100, height: 100 })
    startPlugin(figma)
    const image = ResultImage.parse({
      bytes: makePng(100, 100),
      contentType: 'image/png',
      width: 100,
      height: 100,
      provenance: {
        version: 1,
        prompt: 'p',
        provider: 'runware',
        model: 'kontext-max',
        options: {},
        sourceId: hero.id,
        sourceName: 'Hero',
        relayJobId: 'j',
        variant: 1,
        resultWidth: 100,
        resultHeight: 100,
        createdAt: new Date(0).toISOString()
      }
    })
    const [placed] = await reply(figma, () =>
      figma.sendFromUi({ type: 'place-results', requestId: 'r', sourceId: hero.id, images: [image] })
    )
    const rect = figma.currentPage.children.find((node) => placed?.type === 'placed' && node.id === placed.nodeIds[0]) as FakeRectangle
    expect(rect.getRelaunchData()).toEqual(RELAUNCH_DATA)
    expect(rect.shownRelaunchButtons()).toEqual(Object.keys(RELAUNCH_DATA))
  })
})
