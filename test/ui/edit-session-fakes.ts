import type * as z from 'zod'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { AppError } from '../../shared/errors'
import { PluginToUi, type SelectionItem, type UiToPluginInput } from '../../shared/messages'
import { API_VERSION, type EditJob, type ModelsResponse } from '../../shared/relay-api'
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings'
import { sleepAsync } from '../../shared/sleep-async'
import type { RelayClient, UploadImage } from '../../client/relay-client'
import { createPluginBridge, type PluginPort } from '../../ui/plugin/plugin-bridge'
import { createEditSession, type EditSession } from '../../ui/session/edit-session'
import { makePng } from '../fakes/make-image'

/**
 * A scripted sandbox behind the panel's bridge: it records what the panel posts, exports any node
 * as a small PNG, and places results (or fails to, once per `failNextPlace`). Replies are
 * structured-cloned and arrive a tick later, as postMessage delivers them.
 */
export function createFakeSandbox() {
  const posted: UiToPluginInput[] = []
  const listeners = new Set<(raw: unknown) => void>()
  let placeFailures = 0

  function send(message: z.input<typeof PluginToUi>): void {
    const copy = structuredClone(message)
    setTimeout(() => {
      for (const listener of [...listeners]) listener(copy)
    }, 0)
  }

  function answer(message: UiToPluginInput): void {
    if (message.type === 'export-selection') {
      const ids = message.nodeIds ?? ['1:1']
      const references = ids.map((id) => ({
        sourceId: id,
        name: `Frame ${id}`,
        width: 100,
        height: 80,
        png: makePng(100, 80),
        pixelWidth: 100,
        pixelHeight: 80
      }))
      send({ type: 'exported', requestId: message.requestId, references })
    }
    if (message.type === 'place-results') {
      if (placeFailures > 0) {
        placeFailures -= 1
        send({
          type: 'place-failed',
          requestId: message.requestId,
          error: { code: 'place_failed', message: 'Figma could not place the image.' }
        })
      } else {
        send({
          type: 'placed',
          requestId: message.requestId,
          nodeIds: message.images.map((_, index) => `${message.sourceId}/result-${index + 1}`),
          besideSource: true
        })
      }
    }
  }

  const port: PluginPort = {
    post(message) {
      posted.push(message)
      answer(message)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }

  return {
    port,
    posted,
    send,
    failNextPlace: () => (placeFailures += 1),
    types: () => posted.map((message) => message.type),
    ofType: <T extends UiToPluginInput['type']>(type: T) =>
      posted.filter((message): message is Extract<UiToPluginInput, { type: T }> => message.type === type)
  }
}

const CAPABILITIES = catalogueCapabilities('runware', 'kontext-max')!
export const MODELS: ModelsResponse = {
  defaultProvider: 'runware',
  providers: [{ id: 'runware', name: 'Runware', configured: true, cancel: false, models: [CAPABILITIES] }]
}

export function jobOf(id: string, status: EditJob['status'], extra: Partial<EditJob> = {}): EditJob {
  const images =
    status === 'succeeded' ? [{ url: `/v1/edits/${id}/images/0`, width: 120, height: 96, seed: 7, contentType: 'image/png' as const }] : []
  return {
    id,
    status,
    provider: 'runware',
    model: 'kontext-max',
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    images,
    cost: 0.08,
    expiresInSeconds: 3600,
    ...extra
  }
}

/**
 * The relay as the session sees it. Jobs succeed at once unless `holdJobs` keeps them running
 * until the edit is canceled; `failCreate` refuses the n-th upload (1-based).
 */
export function createFakeRelay(options: { holdJobs?: boolean; failCreate?: number[]; jobs?: Record<string, () => EditJob> } = {}) {
  const clients: Array<{ baseUrl: string; token: string }> = []
  const uploads: Array<ReadonlyArray<UploadImage>> = []
  const canceled: string[] = []
  const health = { checks: 0 }

  const relay: RelayClient = {
    baseUrl: 'http://relay.test',
    async healthAsync() {
      health.checks += 1
      return {
        status: 'ok',
        apiVersion: API_VERSION,
        auth: 'valid',
        defaultProvider: 'runware',
        providers: [{ id: 'runware', name: 'Runware', configured: true, models: ['kontext-max'] }],
        models: []
      }
    },
    modelsAsync: async () => MODELS,
    usageAsync: async () => {
      throw new AppError('not_found')
    },
    async createEditAsync(_request, images) {
      uploads.push(images)
      if (options.failCreate?.includes(uploads.length) === true) throw new AppError('provider_error')
      return { id: `job-${uploads.length}`, status: 'queued' }
    },
    async getEditAsync(id, _waitSeconds, signal) {
      const scripted = options.jobs?.[id]
      if (scripted !== undefined) return scripted()
      if (options.holdJobs === true) {
        await sleepAsync(60_000, signal ?? new AbortController().signal)
      }
      return jobOf(id, 'succeeded')
    },
    async cancelEditAsync(id) {
      canceled.push(id)
      return jobOf(id, 'canceled')
    },
    fetchImageAsync: async () => makePng(120, 96)
  }
  return { relay, clients, uploads, canceled, health }
}

export function selectionItem(id: string, extra: Partial<SelectionItem> = {}): SelectionItem {
  return { id, name: `Frame ${id}`, type: 'FRAME', width: 100, height: 80, texts: [], ...extra }
}

export const SETTINGS: Settings = { ...DEFAULT_SETTINGS, relayUrl: 'http://relay.test', token: 'token-0123456789abcdef' }

/** A session on the fake sandbox and relay, with a clock the test moves and a save timer it fires. */
export function startSession(relay = createFakeRelay()) {
  const sandbox = createFakeSandbox()
  const logs: unknown[] = []
  const clock = { time: 1_000 }
  const scheduled: Array<() => void> = []
  const session: EditSession = createEditSession({
    bridge: createPluginBridge(sandbox.port, (message, detail) => logs.push({ message, detail })),
    relayFor: (baseUrl, token) => {
      relay.clients.push({ baseUrl, token })
      return relay.relay
    },
    resizeAsync: async () => {
      throw new Error('results up to 4096 px are never resized')
    },
    now: () => clock.time,
    sleepAsync,
    randomId: (() => {
      let next = 0
      return () => `request-${++next}`
    })(),
    log: (message, detail) => logs.push({ message, detail }),
    schedule(callback) {
      scheduled.push(callback)
      return () => {
        const index = scheduled.indexOf(callback)
        if (index >= 0) scheduled.splice(index, 1)
      }
    }
  })
  const stop = session.start()
  return { session, sandbox, relay, logs, clock, scheduled, stop }
}
