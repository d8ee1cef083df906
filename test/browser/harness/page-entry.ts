import { createFakeFigma, FakeFrame, type FakeFigma, type FakeSceneNode } from '../../fakes/fake-figma'
import type { FigmaTheme } from '../figma-theme'
import { createBrowserPlatform, PLUGIN_WINDOW_ID, type NetworkAccess } from './browser-platform'
import { drawNode, loadBitmapsAsync, type BitmapCache } from './draw-nodes'

/**
 * Runs in the harness page (bundled as an IIFE by figma-harness.ts). `figmaHarness.bootAsync`
 * creates the fake Figma with the browser platform and sets the globals Figma gives a plugin
 * (`figma`, `__html__`) plus `fakeFigma` for tests; `runPluginAsync` then evaluates the built
 * dist/code.js in a <script> and fires 'run', as Figma does. The page draws the current page's
 * layers on a canvas and shows notifications as toasts, so screenshots look like Figma.
 */
export interface HarnessBootConfig {
  theme: FigmaTheme
  command?: string
  parameters?: ParameterValues
  /** clientStorage contents before the plugin runs. */
  storage?: Record<string, unknown>
  /** Origins added to the manifest's devAllowedDomains, as a developer adds the relay they run. */
  extraDevAllowedDomains?: string[]
}

export interface HarnessWindow {
  figma: FakeFigma
  fakeFigma: FakeFigma
  __html__: string
  figmaHarness: {
    bootAsync(config: HarnessBootConfig): Promise<void>
    runPluginAsync(): Promise<void>
    /** Uncaught errors in the page (the sandbox code runs in it). */
    errors: string[]
  }
}

const harnessWindow = window as unknown as HarnessWindow
const errors: string[] = []
window.addEventListener('error', (event) => errors.push(String(event.error?.stack ?? event.message)))
window.addEventListener('unhandledrejection', (event) => errors.push(`unhandled rejection: ${String(event.reason?.stack ?? event.reason)}`))

async function textAsync(path: string): Promise<string> {
  const response = await fetch(path, { cache: 'no-store' })
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`)
  return response.text()
}

const CANVAS_BACKGROUND: Record<FigmaTheme, string> = { light: '#f5f5f5', dark: '#1e1e1e' }
const LABEL_COLOUR: Record<FigmaTheme, string> = { light: '#757575', dark: '#b3b3b3' }
const SELECTION_COLOUR = '#0d99ff'

function startCanvasView(figma: FakeFigma, theme: FigmaTheme): void {
  const canvas = document.getElementById('canvas') as HTMLCanvasElement
  const toast = document.getElementById('toast') as HTMLDivElement
  const cache: BitmapCache = new Map()
  let drawing = false

  async function drawAsync(): Promise<void> {
    const ratio = window.devicePixelRatio
    const [cssWidth, cssHeight] = [window.innerWidth, window.innerHeight]
    if (canvas.width !== cssWidth * ratio || canvas.height !== cssHeight * ratio) {
      canvas.width = cssWidth * ratio
      canvas.height = cssHeight * ratio
    }
    const nodes = figma.currentPage.children.filter((node) => node.visible)
    const bitmaps = await loadBitmapsAsync(nodes, (hash) => figma.imageBytes(hash), cache)
    const ctx = canvas.getContext('2d')!
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.fillStyle = CANVAS_BACKGROUND[theme]
    ctx.fillRect(0, 0, canvas.width, canvas.height)

    // Fit every top-level layer into the part of the window left of the plugin window.
    const pluginWindow = document.getElementById(PLUGIN_WINDOW_ID)
    const panelRect = pluginWindow !== null && pluginWindow.style.display !== 'none' ? pluginWindow.getBoundingClientRect() : undefined
    const area = { x: 40, y: 56, width: (panelRect === undefined ? cssWidth : panelRect.left) - 80, height: cssHeight - 96 }
    const last = figma.closeMessage ?? figma.notifications.at(-1)?.message
    toast.textContent = last ?? ''
    toast.style.display = last === undefined ? 'none' : 'block'
    toast.style.left = `${area.x + area.width / 2}px`
    toast.classList.toggle('error', figma.closeMessage === undefined && figma.notifications.at(-1)?.options?.error === true)
    if (nodes.length === 0) return
    const boxes = nodes.map((node) => node.absoluteBoundingBox!).filter(Boolean)
    const minX = Math.min(...boxes.map((box) => box.x))
    const minY = Math.min(...boxes.map((box) => box.y))
    const maxX = Math.max(...boxes.map((box) => box.x + box.width))
    const maxY = Math.max(...boxes.map((box) => box.y + box.height))
    const scale = Math.min(area.width / (maxX - minX), area.height / (maxY - minY), 1)
    const offsetX = area.x + (area.width - (maxX - minX) * scale) / 2 - minX * scale
    const offsetY = area.y - minY * scale
    ctx.setTransform(scale * ratio, 0, 0, scale * ratio, offsetX * ratio, offsetY * ratio)
    for (const node of nodes) drawNode(ctx, node, bitmaps)

    // Names above top-level frames and the selection's outline, in screen pixels.
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.font = '11px system-ui, sans-serif'
    ctx.textBaseline = 'bottom'
    const selected = new Set<FakeSceneNode>(figma.currentPage.selection)
    for (const node of nodes) {
      const box = node.absoluteBoundingBox!
      const [x, y] = [offsetX + box.x * scale, offsetY + box.y * scale]
      ctx.fillStyle = selected.has(node) ? SELECTION_COLOUR : LABEL_COLOUR[theme]
      if (node instanceof FakeFrame || node.type === 'RECTANGLE') ctx.fillText(node.name, x, y - 4, box.width * scale)
    }
    ctx.strokeStyle = SELECTION_COLOUR
    ctx.lineWidth = 2
    for (const node of selected) {
      const box = node.absoluteBoundingBox
      if (box !== null && !node.removed)
        ctx.strokeRect(offsetX + box.x * scale, offsetY + box.y * scale, box.width * scale, box.height * scale)
    }
  }

  const tick = (): void => {
    if (drawing) return
    drawing = true
    void drawAsync()
      .catch((error: unknown) => errors.push(`canvas view: ${String(error)}`))
      .finally(() => (drawing = false))
  }
  setInterval(tick, 100)
  tick()
}

harnessWindow.figmaHarness = {
  errors,
  async bootAsync(config) {
    const [html, manifestText] = await Promise.all([textAsync('/dist/ui.html'), textAsync('/manifest.json')])
    const manifest = JSON.parse(manifestText) as { relaunchButtons?: Array<{ command: string }>; networkAccess: NetworkAccess }
    const networkAccess: NetworkAccess = {
      allowedDomains: manifest.networkAccess.allowedDomains,
      devAllowedDomains: [...(manifest.networkAccess.devAllowedDomains ?? []), ...(config.extraDevAllowedDomains ?? [])]
    }
    document.body.className = config.theme
    const figma = createFakeFigma({
      platform: createBrowserPlatform(document, config.theme, networkAccess),
      command: config.command ?? '',
      parameters: config.parameters,
      manifest,
      selectionEventsFromPlugin: true
    })
    for (const [key, value] of Object.entries(config.storage ?? {})) figma.storage.set(key, value)
    harnessWindow.__html__ = html
    harnessWindow.figma = figma
    harnessWindow.fakeFigma = figma
    startCanvasView(figma, config.theme)
  },
  async runPluginAsync() {
    const code = await textAsync('/dist/code.js')
    const script = document.createElement('script')
    script.textContent = code
    // Runs synchronously on insertion, with `figma` and `__html__` already global.
    document.head.append(script)
    harnessWindow.fakeFigma.dispatchRun()
  }
}
