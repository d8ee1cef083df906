import { render } from 'preact'
import { sleepAsync } from '../shared/sleep-async'
import { App, type AppDeps } from './app'
import { canvasResizer } from './image/canvas-resizer'
import { randomId } from './random-id'
import type { PluginPort } from './plugin/plugin-bridge'
import './styles.css'

// Entry only: wire the browser's objects into the app. The iframe talks to the sandbox through
// parent.postMessage; Figma wraps messages as { pluginMessage }.
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

const deps: AppDeps = {
  port,
  fetch: (input, init) => fetch(input, init),
  resize: canvasResizer,
  now: () => Date.now(),
  sleepAsync,
  randomId,
  log: (message, detail) => console.warn(`Kontext Edit: ${message}`, detail)
}

render(<App deps={deps} />, document.getElementById('root')!)
