import * as esbuild from 'esbuild'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Frame, FrameLocator, Page } from 'playwright-core'
import type { FakeFigma, FakeFigmaSnapshot } from '../../fakes/fake-figma'
import type { FigmaTheme } from '../figma-theme'
import { PLUGIN_IFRAME_ID } from './browser-platform'
import type { HarnessBootConfig, HarnessWindow } from './page-entry'

/**
 * A page that plays Figma for the built plugin. A tiny static server on 127.0.0.1 serves the
 * harness page, its bundle (page-entry.ts: the fake Figma with a browser platform), and dist/ +
 * manifest.json as they are on disk. In the page, the built dist/code.js runs against the fake
 * Figma as `figma`, and dist/ui.html runs in a sandboxed iframe (opaque origin) exchanging
 * `{ pluginMessage }` envelopes with it. Build dist/ first (`npm test` does).
 *
 *   const figma = await openFigmaAsync(page, {
 *     extraDevAllowedDomains: [relay.url],
 *     storage: { [SETTINGS_STORAGE_KEY]: { ...DEFAULT_SETTINGS, relayUrl: relay.url, token: relay.token } },
 *     setup: (figma) => figma.select([figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })])
 *   })
 *   await figma.panel.getByText('Hero').waitFor()
 *   const nodes = await figma.evalFigma((figma) => figma.snapshot().nodes)
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Figma (test harness)</title><style>
html, body { margin: 0; height: 100%; overflow: hidden; font: 12px system-ui, sans-serif; }
body.light { background: #f5f5f5; color: #1e1e1e; --window-bg: #ffffff; --window-border: #e6e6e6; }
body.dark { background: #1e1e1e; color: #ffffff; --window-bg: #2c2c2c; --window-border: #444444; }
#canvas { position: fixed; inset: 0; width: 100%; height: 100%; display: block; }
.plugin-window { position: fixed; top: 16px; right: 16px; border-radius: 13px; overflow: hidden; background: var(--window-bg);
  box-shadow: 0 0 0.5px rgba(0, 0, 0, 0.3), 0 5px 12px rgba(0, 0, 0, 0.13), 0 1px 3px rgba(0, 0, 0, 0.1); }
.plugin-title { height: 40px; box-sizing: border-box; display: flex; align-items: center; padding: 0 16px; font-weight: 600; font-size: 13px; border-bottom: 1px solid var(--window-border); }
.plugin-window iframe { border: 0; display: block; }
#toast { position: fixed; bottom: 24px; left: 50%; transform: translateX(-50%); max-width: 480px; background: #1e1e1e; color: #fff;
  padding: 10px 16px; border-radius: 8px; font-size: 13px; display: none; box-shadow: 0 5px 12px rgba(0, 0, 0, 0.2); }
#toast.error { background: #f24822; }
</style></head>
<body class="light"><canvas id="canvas"></canvas><div id="toast" role="status"></div><script src="/harness.js"></script></body></html>`

/** Node-only modules the fake imports for its default platform; the page always passes its own. */
const nodeOnlyStub: esbuild.Plugin = {
  name: 'node-only-stub',
  setup(build) {
    build.onResolve({ filter: /^(node:crypto|image-size)$|\/(make-image|paint-nodes)$/ }, (args) => ({
      path: args.path,
      namespace: 'node-only'
    }))
    build.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      contents: ['createHash', 'imageSize', 'makePng', 'makeJpeg', 'encodePainted']
        .map(
          (name) =>
            `export const ${name} = () => { throw new Error('${name} (${args.path}) is Node-only: the browser harness passes its own FakeFigmaPlatform') }`
        )
        .join('\n'),
      loader: 'js'
    }))
  }
}

let bundle: Promise<string> | undefined

function bundleAsync(): Promise<string> {
  bundle ??= esbuild
    .build({
      entryPoints: [fileURLToPath(new URL('./page-entry.ts', import.meta.url))],
      absWorkingDir: ROOT,
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      sourcemap: 'inline',
      logLevel: 'error',
      plugins: [nodeOnlyStub]
    })
    .then((result) => result.outputFiles[0]!.text)
  return bundle
}

const FILES: Record<string, { path: string; type: string }> = {
  '/dist/ui.html': { path: 'dist/ui.html', type: 'text/html; charset=utf-8' },
  '/dist/code.js': { path: 'dist/code.js', type: 'text/javascript; charset=utf-8' },
  '/manifest.json': { path: 'manifest.json', type: 'application/json' }
}

let server: Promise<{ server: Server; url: string }> | undefined

/** The harness's static server on 127.0.0.1 (one a test process, started on first use). */
export function startHarnessServerAsync(): Promise<{ url: string }> {
  server ??= new Promise((resolve, reject) => {
    const http = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
      const send = (status: number, type: string, body: string | Buffer): void => {
        response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
        response.end(body)
      }
      const file = FILES[path]
      const answer: Promise<void> =
        path === '/'
          ? Promise.resolve(send(200, 'text/html; charset=utf-8', PAGE_HTML))
          : path === '/favicon.ico'
            ? Promise.resolve(send(204, 'image/x-icon', ''))
            : path === '/harness.js'
              ? bundleAsync().then((text) => send(200, 'text/javascript; charset=utf-8', text))
              : file !== undefined
                ? readFile(`${ROOT}${file.path}`).then((body) => send(200, file.type, body))
                : Promise.resolve(send(404, 'text/plain', 'not found'))
      answer.catch((error: unknown) => send(500, 'text/plain', String(error)))
    })
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => {
      http.unref()
      resolve({ server: http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` })
    })
  })
  return server.then(({ url }) => ({ url }))
}

export async function stopHarnessServerAsync(): Promise<void> {
  const running = server
  server = undefined
  if (running === undefined) return
  const { server: http } = await running
  http.closeAllConnections()
  await new Promise<void>((resolve) => http.close(() => resolve()))
}

export interface OpenFigmaOptions<A> {
  theme?: FigmaTheme
  /** Runs in the page against the fake Figma before the plugin's code: add layers, select. It must not close over test variables (pass them as setupArg). */
  setup?: (figma: FakeFigma, arg: A) => void | Promise<void>
  setupArg?: A
  /** figma.command, as when launched from the manifest's menu ('' by default). */
  command?: string
  /** The quick action's parameters for the 'run' event. */
  parameters?: ParameterValues
  /** clientStorage before the plugin runs (settings, history, …). */
  storage?: Record<string, unknown>
  /** Wait until the plugin called showUI (or closePlugin). Default true. */
  waitForUi?: boolean
  /**
   * Origins added to manifest.json's devAllowedDomains, as a developer adds the relay they run
   * (tests' relays listen on 127.0.0.1 with a random port). The panel's connect-src is the
   * manifest's networkAccess, so any other origin is blocked as in Figma.
   */
  extraDevAllowedDomains?: string[]
}

export interface FigmaInPage {
  page: Page
  url: string
  /** The plugin UI's iframe, for locators: `figma.panel.getByLabel('Instruction')`. */
  panel: FrameLocator
  /** The plugin UI's Frame; undefined when the plugin has not shown a UI. */
  panelFrame: Frame | undefined
  /** Runs `fn` in the page with the fake Figma (`window.fakeFigma`); the result must be serializable. */
  evalFigma<R, A = undefined>(fn: (figma: FakeFigma, arg: A) => R | Promise<R>, arg?: A): Promise<R>
  /** A serializable picture of the current page, selection, root plugin data and notifications. */
  snapshotAsync(): Promise<FakeFigmaSnapshot>
  /** Uncaught errors in the page (where the sandbox code runs) and console output of the page and the panel. */
  errors(): Promise<string[]>
  readonly console: string[]
}

/** Loads the harness page in `page`, starts the built plugin in it, and returns handles to drive it. */
export async function openFigmaAsync<A = undefined>(page: Page, options: OpenFigmaOptions<A> = {}): Promise<FigmaInPage> {
  const { url } = await startHarnessServerAsync()
  const consoleLines: string[] = []
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`))
  page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.stack ?? error.message}`))

  const evalFigma = <R, B>(fn: (figma: FakeFigma, arg: B) => R | Promise<R>, arg?: B): Promise<R> =>
    page.evaluate(
      async ({ source, value }) => {
        // Playwright serializes functions the same way; indirect eval keeps it in global scope.
        const run = (0, eval)(`(${source})`) as (figma: FakeFigma, arg: unknown) => unknown
        return run((window as unknown as HarnessWindow).fakeFigma, value)
      },
      { source: fn.toString(), value: arg }
    ) as Promise<R>
  const errors = (): Promise<string[]> => page.evaluate(() => [...(window as unknown as HarnessWindow).figmaHarness.errors])

  await page.goto(`${url}/`)
  const config: HarnessBootConfig = {
    theme: options.theme ?? 'light',
    command: options.command,
    parameters: options.parameters,
    storage: options.storage,
    extraDevAllowedDomains: options.extraDevAllowedDomains
  }
  await page.evaluate((boot) => (window as unknown as HarnessWindow).figmaHarness.bootAsync(boot), config)
  if (options.setup !== undefined) await evalFigma(options.setup, options.setupArg)
  await page.evaluate(() => (window as unknown as HarnessWindow).figmaHarness.runPluginAsync())

  let panelFrame: Frame | undefined
  if (options.waitForUi ?? true) {
    try {
      await page.waitForFunction(
        () => {
          const figma = (window as unknown as HarnessWindow).fakeFigma
          return figma.ui.state.open || figma.closed
        },
        undefined,
        { timeout: 30_000 }
      )
    } catch (error) {
      throw new Error(`the plugin showed no UI: ${String(error)}\n${[...(await errors()), ...consoleLines].join('\n')}`)
    }
    const element = await page.$(`iframe#${PLUGIN_IFRAME_ID}`)
    panelFrame = (await element?.contentFrame()) ?? undefined
  }
  return {
    page,
    url,
    panel: page.frameLocator(`iframe#${PLUGIN_IFRAME_ID}`),
    panelFrame,
    evalFigma,
    snapshotAsync: () => evalFigma((figma) => figma.snapshot()),
    errors,
    console: consoleLines
  }
}
