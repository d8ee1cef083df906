import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import vm from 'node:vm'
import { beforeAll, describe, expect, it } from 'vitest'
import { referenceExportSettings } from '../../plugin/export/reference-export-settings'
import { KONTEXT_REFERENCE } from '../../shared/reference-target'
import { PluginToUi, ResultImage } from '../../shared/messages'
import { DEFAULT_SETTINGS, SETTINGS_STORAGE_KEY } from '../../shared/settings'
import { createFakeFigma, type FakeFigma, type FakeRectangle } from '../fakes/fake-figma'
import { makePng } from '../fakes/make-image'

/**
 * The built sandbox bundle in a realm as bare as Figma's main thread: "a minimal JavaScript
 * environment [that] does not expose browser APIs" (developers.figma.com/docs/plugins/
 * how-plugins-run). The realm holds the ECMAScript built-ins and what Figma adds (plugin typings
 * index.d.ts: `figma`, `__html__`, `console`, setTimeout/setInterval and their clears), nothing
 * else: no URL, TextEncoder, atob, crypto or structuredClone. A browser API the bundle reaches
 * at run time shows up here as a ReferenceError or, where a library guards it (zod's `.url()`
 * catches the missing URL and calls the value invalid), as a wrong result.
 */

/** Copies a value from this realm into the sandbox's, as Figma hands the sandbox its own objects. */
const COPY_INTO_REALM = `(function copy(value) {
  if (value === null || typeof value !== 'object') return value
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date(value.getTime())
  if (Array.isArray(value)) return Array.from(value, copy)
  const out = {}
  for (const key of Object.keys(value)) out[key] = copy(value[key])
  return out
})`

const BROWSER_ONLY = [
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'crypto',
  'structuredClone',
  'fetch',
  'window',
  'self',
  'document',
  'navigator',
  'Blob',
  'Buffer',
  'process',
  'queueMicrotask',
  'WebAssembly'
]

function buildSandboxCode(): string {
  // Other engineers build too; a bundle caught half-written does not compile, so build again.
  for (let attempt = 1; ; attempt += 1) {
    const started = Date.now()
    try {
      execFileSync('node', ['scripts/build.mjs', '--quiet'], { stdio: 'pipe' })
    } catch (error) {
      // The bundles build side by side: a broken relay bundle still leaves a fresh dist/code.js.
      if (statSync('dist/code.js').mtimeMs < started - 1000) throw error
    }
    const code = readFileSync('dist/code.js', 'utf8')
    try {
      new vm.Script(code)
      return code
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
}

interface Sandbox {
  figma: FakeFigma
  warnings: unknown[][]
  realm: vm.Context
}

function startSandbox(code: string): Sandbox {
  const warnings: unknown[][] = []
  const sandboxConsole = {
    log: () => undefined,
    info: () => undefined,
    error: (...args: unknown[]) => warnings.push(args),
    warn: (...args: unknown[]) => warnings.push(args),
    assert: () => undefined,
    clear: () => undefined
  }
  const realm = vm.createContext({ console: sandboxConsole, setTimeout, clearTimeout, setInterval, clearInterval })
  vm.runInContext('delete globalThis.WebAssembly', realm)
  const copyIn = vm.runInContext(COPY_INTO_REALM, realm) as (value: unknown) => unknown
  const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as { relaunchButtons: Array<{ command: string }> }
  const figma = createFakeFigma({ intoSandboxRealm: copyIn, manifest })
  realm.figma = figma
  realm.__html__ = '<!doctype html><title>Kontext Edit</title>'
  vm.runInContext(code, realm, { filename: 'dist/code.js' })
  return { figma, warnings, realm }
}

/** Sends one message from the UI and returns what the sandbox answered once everything settled. */
async function ask(figma: FakeFigma, message: unknown): Promise<PluginToUi[]> {
  const replies: PluginToUi[] = []
  const off = figma.onUiMessage((reply) => replies.push(PluginToUi.parse(reply)))
  figma.sendFromUi(message)
  await figma.flushAsync()
  off()
  return replies
}

function resultFor(sourceId: string): ResultImage {
  return ResultImage.parse({
    bytes: makePng(720, 450),
    contentType: 'image/png',
    width: 720,
    height: 450,
    provenance: {
      version: 1,
      prompt: 'Make it blue',
      provider: 'runware',
      model: 'kontext-max',
      options: {},
      sourceId,
      sourceName: 'Hero',
      relayJobId: 'job-1',
      variant: 1,
      resultWidth: 720,
      resultHeight: 450,
      createdAt: new Date(0).toISOString()
    }
  })
}

describe('the built sandbox bundle in a realm without browser APIs', () => {
  let code: string

  beforeAll(() => {
    code = buildSandboxCode()
  }, 120_000)

  it('holds no code that calls the browser APIs Figma lacks', () => {
    // zod's URL checks ride along with every z.string(); scripts/sandbox-without-url.mjs drops them.
    for (const call of ['new URL(', 'URL.canParse', 'URL.parse(', 'TextEncoder', 'TextDecoder', 'structuredClone', 'crypto.'])
      expect(code).not.toContain(call)
  })

  it('is a bare realm: none of the browser globals exist in it', () => {
    const { realm } = startSandbox(code)
    const present = BROWSER_ONLY.filter(
      (name) => vm.runInContext(`typeof globalThis[${JSON.stringify(name)}] !== 'undefined'`, realm) === true
    )
    expect(present).toEqual([])
  })

  it('opens, keeps a team relay URL through a save and a reload, exports and places', async () => {
    const { figma, warnings } = startSandbox(code)
    const hero = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
    figma.select([hero])
    figma.dispatchRun({ command: 'open' })
    await figma.flushAsync()
    expect(figma.ui.state).toMatchObject({ open: true, visible: true })

    const [init] = await ask(figma, { type: 'ui-ready' })
    expect(init).toMatchObject({ type: 'init', command: 'open', settings: DEFAULT_SETTINGS, selection: [{ id: hero.id, name: 'Hero' }] })

    const team = { ...DEFAULT_SETTINGS, relayUrl: 'https://Kontext-Relay.acme.example:8443/', token: 'team-token-0123456789' }
    const [saved] = await ask(figma, { type: 'save-settings', settings: team })
    expect(saved).toMatchObject({
      type: 'settings-saved',
      settings: { relayUrl: 'https://kontext-relay.acme.example:8443', token: team.token }
    })
    expect(figma.storage.get(SETTINGS_STORAGE_KEY)).toMatchObject({ relayUrl: 'https://kontext-relay.acme.example:8443' })
    const [reopened] = await ask(figma, { type: 'ui-ready' })
    expect(reopened).toMatchObject({ type: 'init', settings: { relayUrl: 'https://kontext-relay.acme.example:8443' } })

    const { pixelWidth, pixelHeight } = referenceExportSettings(1440, 900, KONTEXT_REFERENCE)
    const [exported] = await ask(figma, { type: 'export-selection', requestId: 'e1' })
    expect(exported).toMatchObject({ type: 'exported', requestId: 'e1', references: [{ sourceId: hero.id, pixelWidth, pixelHeight }] })

    const [placed] = await ask(figma, { type: 'place-results', requestId: 'p1', sourceId: hero.id, images: [resultFor(hero.id)] })
    expect(placed).toMatchObject({ type: 'placed', requestId: 'p1', besideSource: true })
    const result = figma.currentPage.children.find((node) => placed?.type === 'placed' && node.id === placed.nodeIds[0]) as FakeRectangle
    expect(result).toMatchObject({ type: 'RECTANGLE', name: 'Hero · Kontext edit', x: 1480, y: 0, width: 1440, height: 900 })
    expect(result.shownRelaunchButtons()).toEqual(['edit-again', 'new-variation'])
    expect(figma.currentPage.selection).toEqual([result])

    expect(await ask(figma, { type: 'select-nodes', nodeIds: [hero.id] })).toEqual([{ type: 'nodes-selected', found: 1 }])
    expect(warnings).toEqual([])
  })
})
