import type { FakeFigmaPlatform, FakeUiHost } from '../../fakes/fake-figma'
import { figmaThemeStyle, type FigmaTheme } from '../figma-theme'
import { renderNodesAsync, type BitmapCache } from './draw-nodes'
import { sha1Hex, sniffImage } from './image-bytes'

/** The plugin id Figma puts beside each message it relays to the UI. */
const PLUGIN_ID = 'kontext-edit-dev'
export const PLUGIN_WINDOW_ID = 'figma-plugin-window'
export const PLUGIN_IFRAME_ID = 'figma-plugin-ui'

/**
 * With themeColors: true, Figma adds its theme's CSS variables to the UI's document and a
 * `figma-light` / `figma-dark` class on its <html>.
 */
export function themedHtml(html: string, theme: FigmaTheme): string {
  const style = figmaThemeStyle(theme)
  const withStyle = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}${style}`) : `${style}${html}`
  return /<html[^>]*>/i.test(withStyle) ? withStyle.replace(/<html/i, `<html class="figma-${theme}"`) : withStyle
}

/** The manifest's networkAccess, as Figma reads it for the UI's Content-Security-Policy. */
export interface NetworkAccess {
  allowedDomains: ReadonlyArray<string>
  devAllowedDomains?: ReadonlyArray<string>
}

/**
 * The `connect-src` Figma gives the plugin UI: once the manifest has networkAccess, a request to
 * a domain not on its lists is blocked and shows as a Content-Security-Policy error (Figma docs:
 * plugins/updates/2023/05/10/version-1-update-66, plugins/how-plugins-run). A plugin run from
 * its manifest in development also gets devAllowedDomains. Figma's entries (`https://host`,
 * `*.host`, `host/path/`, `"*"`) are CSP source expressions already; `"none"` is CSP's 'none'.
 */
export function connectSrc(access: NetworkAccess): string {
  const sources = [...access.allowedDomains, ...(access.devAllowedDomains ?? [])].filter((domain) => domain !== 'none')
  return sources.length === 0 ? "connect-src 'none'" : `connect-src ${sources.join(' ')}`
}

/** Puts the policy first in <head>, before any script of the UI runs. */
export function withContentSecurityPolicy(html: string, policy: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}">`
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}${meta}`) : `${meta}${html}`
}

/**
 * The plugin window as Figma shows it: a title bar over an iframe with `sandbox="allow-scripts"`
 * and the HTML as srcdoc, so the UI has an opaque origin (its requests carry `Origin: null`), under
 * the manifest's networkAccess as its connect-src. Messages cross with window.postMessage as
 * `{ pluginMessage }` envelopes, structured-cloned by the browser. Messages to the UI wait until
 * the iframe has loaded.
 */
export function createIframeUiHost(document: Document, theme: FigmaTheme, networkAccess: NetworkAccess): FakeUiHost {
  let windowElement: HTMLDivElement | undefined
  let iframe: HTMLIFrameElement | undefined
  let loaded = false
  let queue: unknown[] = []
  let onMessage: ((event: MessageEvent) => void) | undefined
  const view = document.defaultView!

  function deliver(pluginMessage: unknown): void {
    iframe?.contentWindow?.postMessage({ pluginMessage, pluginId: PLUGIN_ID }, '*')
  }

  return {
    open(html, options, receive) {
      this.close()
      windowElement = document.createElement('div')
      windowElement.id = PLUGIN_WINDOW_ID
      windowElement.className = 'plugin-window'
      const title = document.createElement('div')
      title.className = 'plugin-title'
      title.textContent = options.title ?? 'Plugin'
      iframe = document.createElement('iframe')
      iframe.id = PLUGIN_IFRAME_ID
      iframe.name = PLUGIN_IFRAME_ID
      iframe.setAttribute('sandbox', 'allow-scripts')
      iframe.style.width = `${options.width ?? 300}px`
      iframe.style.height = `${options.height ?? 200}px`
      loaded = false
      queue = []
      iframe.addEventListener('load', () => {
        loaded = true
        for (const message of queue) deliver(message)
        queue = []
      })
      onMessage = (event) => {
        if (iframe === undefined || event.source !== iframe.contentWindow) return
        const data: unknown = event.data
        if (typeof data === 'object' && data !== null && 'pluginMessage' in data) receive(data.pluginMessage)
      }
      view.addEventListener('message', onMessage)
      iframe.srcdoc = withContentSecurityPolicy(options.themeColors === true ? themedHtml(html, theme) : html, connectSrc(networkAccess))
      windowElement.append(title, iframe)
      windowElement.style.display = options.visible === false ? 'none' : ''
      document.body.append(windowElement)
    },
    post(pluginMessage) {
      if (loaded) deliver(pluginMessage)
      else queue.push(pluginMessage)
    },
    setVisible(visible) {
      if (windowElement !== undefined) windowElement.style.display = visible ? '' : 'none'
    },
    resize(width, height) {
      if (iframe === undefined) return
      iframe.style.width = `${width}px`
      iframe.style.height = `${height}px`
    },
    close() {
      if (onMessage !== undefined) view.removeEventListener('message', onMessage)
      windowElement?.remove()
      windowElement = undefined
      iframe = undefined
      onMessage = undefined
      loaded = false
      queue = []
    }
  }
}

/** The fake Figma's platform in a browser page: canvas-drawn exports, JS hashes, an iframe UI. */
export function createBrowserPlatform(document: Document, theme: FigmaTheme, networkAccess: NetworkAccess): FakeFigmaPlatform {
  const bitmaps: BitmapCache = new Map()
  return {
    hashImage: sha1Hex,
    sniffImage,
    renderAsync: (request) => renderNodesAsync(request, bitmaps),
    ui: createIframeUiHost(document, theme, networkAccess)
  }
}
