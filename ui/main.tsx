import { render } from 'preact'
import { sleepAsync } from '../shared/sleep-async'
import { createRelayClient } from '../client/relay-client'
import { App } from './app'
import { prepareCompositeOnCanvas } from './image/prepare-composite-on-canvas'
import { resizeOnCanvasAsync } from './image/resize-on-canvas-async'
import { createPluginBridge, type PluginPort } from './plugin/plugin-bridge'
import { randomId } from './random-id'
import { createEditSession } from './session/edit-session'
import './styles.css'

// Entry only: wire the browser's objects into the session and render it. The iframe talks to the
// sandbox through parent.postMessage; Figma wraps messages as { pluginMessage }.
const port: PluginPort = {
  post: (message) => parent.postMessage({ pluginMessage: message }, '*'),
  subscribe(listener) {
    const handle = (event: MessageEvent): void => {
      const data: unknown = event.data
      if (typeof data === 'object' && data !== null && 'pluginMessage' in data) listener(data.pluginMessage)
    }
    window.addEventListener('message', handle)
    return () => window.removeEventListener('message', handle)
  }
}

const log = (message: string, detail?: unknown): void => console.warn(`Kontext Edit: ${message}`, detail)

const session = createEditSession({
  bridge: createPluginBridge(port, log),
  relayFor: (baseUrl, token) => createRelayClient({ baseUrl, token, fetch: (input, init) => fetch(input, init) }),
  resizeAsync: resizeOnCanvasAsync,
  prepareComposite: prepareCompositeOnCanvas,
  now: () => Date.now(),
  sleepAsync,
  randomId,
  log,
  schedule(callback, ms) {
    const timer = setTimeout(callback, ms)
    return () => clearTimeout(timer)
  }
})

render(<App session={session} />, document.getElementById('root')!)
session.start()
