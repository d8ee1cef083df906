import { readFileSync } from 'node:fs'
import type { Frame, Page } from 'playwright-core'
import type { FakeFigma } from '../fakes/fake-figma'
import { figmaThemeStyle, type FigmaTheme } from './figma-theme'

/**
 * A page that plays Figma's part for the built panel: dist/ui.html runs in a sandboxed iframe
 * (an opaque origin, so its requests carry `Origin: null` as in Figma) and `{pluginMessage}`
 * envelopes pass between it and the sandbox, which runs in Node on the fake Figma API.
 * Uint8Arrays cross the Node–page boundary as base64 and are bytes again on each side.
 */
const HOST_SCRIPT = `
const frame = document.getElementById('ui')
const encode = (value) => {
  if (value instanceof Uint8Array) { let s = ''; for (let i = 0; i < value.length; i += 0x8000) s += String.fromCharCode(...value.subarray(i, i + 0x8000)); return { __bytes: btoa(s) } }
  if (Array.isArray(value)) return value.map(encode)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]))
  return value
}
const decode = (value) => {
  if (value && typeof value === 'object' && typeof value.__bytes === 'string') return Uint8Array.from(atob(value.__bytes), (c) => c.charCodeAt(0))
  if (Array.isArray(value)) return value.map(decode)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]))
  return value
}
window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow || !event.data || !('pluginMessage' in event.data)) return
  window.__fromUi(encode(event.data.pluginMessage))
})
window.__toUi = (message) => frame.contentWindow.postMessage({ pluginMessage: decode(message) }, '*')
`

function encodeForPage(value: unknown): unknown {
  if (value instanceof Uint8Array) return { __bytes: Buffer.from(value).toString('base64') }
  if (Array.isArray(value)) return value.map(encodeForPage)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, encodeForPage(entry)]))
  return value
}

function decodeFromPage(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '__bytes' in value && typeof value.__bytes === 'string') return new Uint8Array(Buffer.from(value.__bytes, 'base64'))
  if (Array.isArray(value)) return value.map(decodeFromPage)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, decodeFromPage(entry)]))
  return value
}

export async function openPanelAsync(page: Page, figma: FakeFigma, theme: FigmaTheme = 'light'): Promise<Frame> {
  const html = readFileSync('dist/ui.html', 'utf8').replace('<head>', `<head>${figmaThemeStyle(theme)}`)
  await page.exposeFunction('__fromUi', (message: unknown) => figma.sendFromUi(decodeFromPage(message)))
  figma.onUiMessage((message) => void page.evaluate((encoded) => (window as unknown as { __toUi(m: unknown): void }).__toUi(encoded), encodeForPage(message)).catch(() => undefined))
  const escaped = html.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:#e5e5e5">` +
      `<iframe id="ui" sandbox="allow-scripts" style="border:0;width:360px;height:600px;display:block" srcdoc="${escaped}"></iframe>` +
      `<script>${HOST_SCRIPT}</script></body></html>`
  )
  const frame = page.frames().find((candidate) => candidate !== page.mainFrame())
  if (frame === undefined) throw new Error('the panel iframe did not load')
  return frame
}
