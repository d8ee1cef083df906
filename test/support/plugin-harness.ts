import { randomUUID } from 'node:crypto'
import { createController, type ControllerDeps } from '../../plugin/controller'
import { createPluginBridge, type PluginPort } from '../../ui/plugin/plugin-bridge'
import type { EditDeps } from '../../ui/edit/edit-deps'
import type { EditInput } from '../../ui/edit/produce-results-async'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import type { ProviderId } from '../../shared/models'
import { DEFAULT_OPTIONS, type EditOptions } from '../../shared/settings'
import { createRelayClient } from '../../client/relay-client'
import { sleepAsync } from '../../shared/sleep-async'
import { createFakeFigma, type FakeFigma } from '../fakes/fake-figma'

/**
 * The plugin as Figma runs it, minus Figma: the real sandbox controller on the fake Figma API,
 * and the UI's real logic talking to it through structured-cloned messages.
 */
export function startPlugin(figma: FakeFigma = createFakeFigma(), launch: ControllerDeps['launch'] = { command: 'open' }) {
  const sandboxLogs: unknown[] = []
  createController(figma, {
    log: (message, detail) => sandboxLogs.push({ message, detail }),
    now: Date.now,
    randomId: () => randomUUID(),
    launch,
    schedule: (callback, ms) => {
      const handle = setTimeout(callback, ms)
      return () => clearTimeout(handle)
    }
  }).start()
  const port: PluginPort = {
    post: (message) => figma.sendFromUi(message),
    subscribe: (listener) => figma.onUiMessage(listener)
  }
  const uiLogs: unknown[] = []
  const bridge = createPluginBridge(port, (message, detail) => uiLogs.push({ message, detail }))
  return { figma, bridge, sandboxLogs, uiLogs }
}

export function editDeps(
  bridge: ReturnType<typeof createPluginBridge>,
  relayUrl: string,
  token: string,
  progress: string[] = []
): EditDeps {
  return {
    plugin: bridge,
    relay: createRelayClient({ baseUrl: relayUrl, token, fetch }),
    resizeAsync: async () => {
      throw new Error('no canvas in Node: results over 4096 px are resized only in the browser')
    },
    prepareComposite: () => {
      throw new Error('no canvas in Node: region edits are blended only in the browser')
    },
    sleepAsync,
    now: Date.now,
    onProgress: (update) => progress.push(update.stage)
  }
}

/** An edit as the panel starts it, for a host and model from the catalogue. */
export function editInput(
  requestId: string,
  prompt: string,
  options: EditOptions = DEFAULT_OPTIONS,
  provider: ProviderId = 'runware'
): EditInput {
  const capabilities = catalogueCapabilities(provider, options.model)
  if (capabilities === undefined) throw new Error(`${provider} does not offer ${options.model}`)
  return { requestId, prompt, options, capabilities, provider }
}
