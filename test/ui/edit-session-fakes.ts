import type * as z from 'zod'
import type { AreaDrift, AreaGeometry } from '../../shared/area/area-geometry'
import { catalogueCapabilities } from '../../shared/catalogue-capabilities'
import { AppError } from '../../shared/errors'
import { PluginToUi, type SelectionItem, type UiToPluginInput } from '../../shared/messages'
import { API_VERSION, type EditJob, type EditRequestInput, type ModelsResponse } from '../../shared/relay-api'
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings'
import { sleepAsync } from '../../shared/sleep-async'
import type { RelayClient, UploadImage } from '../../client/relay-client'
import type { AreaAnswer, AreaCompositor, PngImage } from '../../ui/image/area-compositor'
import { createPluginBridge, type PluginPort } from '../../ui/plugin/plugin-bridge'
import { createEditSession, type EditSession } from '../../ui/session/edit-session'
import { makePng } from '../fakes/make-image'

/** The geometry the fake sandbox answers an area export with: a 1440×900 frame at 2×, the area given or a headline's. */
export function areaGeometry(area = { x: 200, y: 120, width: 320, height: 80 }): AreaGeometry {
  return {
    containerWidth: 1440,
    containerHeight: 900,
    area,
    crop: { x: area.x - 160, y: area.y - 96, width: 640, height: 274 },
    cropScale: 2.45,
    frameScale: 2
  }
}

/** The crop's and the frame render's PNGs as the fake sandbox exports them. */
export const AREA_CROP_PNG = makePng(1568, 672, 11)
export const AREA_FRAME_PNG = makePng(288, 180, 12)

/**
 * A scripted sandbox behind the panel's bridge: it records what the panel posts, exports any node
 * as a small PNG (an area as a crop, a frame render and `areaGeometry`, or a failure per
 * `failNextAreaExport`), and places results (or fails to, once per `failNextPlace`). Replies are
 * structured-cloned and arrive a tick later, as postMessage delivers them.
 */
export function createFakeSandbox() {
  const posted: UiToPluginInput[] = []
  const listeners = new Set<(raw: unknown) => void>()
  let placeFailures = 0
  let areaExportFailures = 0
  const areaExport = { notes: [] as string[], geometry: undefined as AreaGeometry | undefined }

  function send(message: z.input<typeof PluginToUi>): void {
    const copy = structuredClone(message)
    setTimeout(() => {
      for (const listener of [...listeners]) listener(copy)
    }, 0)
  }

  function answerAreaExport(message: Extract<UiToPluginInput, { type: 'export-area' }>): void {
    if (areaExportFailures > 0) {
      areaExportFailures -= 1
      const error = { code: 'export_failed' as const, message: 'The frame is no longer in this file.' }
      return send({ type: 'export-failed', requestId: message.requestId, error })
    }
    const geometry = areaExport.geometry ?? areaGeometry(message.rect)
    send({
      type: 'area-exported',
      requestId: message.requestId,
      reference: {
        sourceId: message.containerId,
        name: `Frame ${message.containerId}`,
        width: geometry.crop.width,
        height: geometry.crop.height,
        png: AREA_CROP_PNG,
        pixelWidth: 1568,
        pixelHeight: 672
      },
      frame: { png: AREA_FRAME_PNG, pixelWidth: 2880, pixelHeight: 1800 },
      geometry,
      notes: areaExport.notes
    })
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
    if (message.type === 'export-area') answerAreaExport(message)
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
    failNextAreaExport: () => (areaExportFailures += 1),
    /** What later area exports answer: their notes, and a geometry other than `areaGeometry(rect)`. */
    areaExport,
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

export function jobOf(id: string, status: EditJob['status'], extra: Partial<EditJob> = {}, count = 1): EditJob {
  const images =
    status === 'succeeded'
      ? Array.from({ length: count }, (_, index) => ({
          url: `/v1/edits/${id}/images/${index}`,
          width: 120,
          height: 96,
          seed: 7 + index,
          contentType: 'image/png' as const
        }))
      : []
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

/** The bytes the fake relay serves for every result image. */
export const ANSWER_PNG = makePng(120, 96)

/**
 * The relay as the session sees it. Jobs succeed at once (with one image per variant asked for)
 * unless `holdJobs` keeps them running until the edit is canceled; `failCreate` refuses the n-th
 * upload (1-based).
 */
export function createFakeRelay(options: { holdJobs?: boolean; failCreate?: number[]; jobs?: Record<string, () => EditJob> } = {}) {
  const clients: Array<{ baseUrl: string; token: string }> = []
  const uploads: Array<ReadonlyArray<UploadImage>> = []
  const requests: EditRequestInput[] = []
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
    async createEditAsync(request, images) {
      uploads.push(images)
      requests.push(request)
      if (options.failCreate?.includes(uploads.length) === true) throw new AppError('provider_error')
      return { id: `job-${uploads.length}`, status: 'queued' }
    },
    async getEditAsync(id, _waitSeconds, signal) {
      const scripted = options.jobs?.[id]
      if (scripted !== undefined) return scripted()
      if (options.holdJobs === true) {
        await sleepAsync(60_000, signal ?? new AbortController().signal)
      }
      return jobOf(id, 'succeeded', {}, requests[Number(id.replace('job-', '')) - 1]?.numImages ?? 1)
    },
    async cancelEditAsync(id) {
      canceled.push(id)
      return jobOf(id, 'canceled')
    },
    fetchImageAsync: async () => ANSWER_PNG
  }
  return { relay, clients, uploads, requests, canceled, health }
}

export function selectionItem(id: string, extra: Partial<SelectionItem> = {}): SelectionItem {
  return { id, name: `Frame ${id}`, type: 'FRAME', width: 100, height: 80, texts: [], ...extra }
}

export const SETTINGS: Settings = { ...DEFAULT_SETTINGS, relayUrl: 'http://relay.test', token: 'token-0123456789abcdef' }

/**
 * A compositor that records the frames it is given, the answers it blends and whether it was
 * closed, and answers a recognisable composite at the frame render's size with the drift `drift`
 * sets; `fail` makes each blend throw, as a canvas can.
 */
export function createFakeCompositor() {
  const prepared: Array<{ frame: PngImage; geometry: AreaGeometry; answers: AreaAnswer[]; closed: boolean }> = []
  const control = { fail: false, drift: { r: 6, g: 6, b: 6, residual: 1, offsetX: 1, offsetY: 0, large: false } as AreaDrift }
  const prepareComposite: AreaCompositor = (frame, geometry) => {
    const entry = { frame, geometry, answers: [] as AreaAnswer[], closed: false }
    prepared.push(entry)
    return {
      async compositeAsync(answer) {
        if (entry.closed) throw new Error('blended after close')
        entry.answers.push(answer)
        if (control.fail) throw new Error('no 2d canvas')
        return {
          image: { png: COMPOSITE_PNG, width: frame.width, height: frame.height },
          drift: control.drift,
          before: { png: makePng(40, 20, 3), width: 40, height: 20 },
          after: { png: makePng(40, 20, 4), width: 40, height: 20 }
        }
      },
      close: () => void (entry.closed = true)
    }
  }
  return { prepareComposite, prepared, control }
}

export const COMPOSITE_PNG = makePng(32, 20, 21)

/** A session on the fake sandbox and relay, with a clock the test moves and a save timer it fires. */
export function startSession(relay = createFakeRelay(), compositor = createFakeCompositor()) {
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
    prepareComposite: compositor.prepareComposite,
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
  return { session, sandbox, relay, compositor, logs, clock, scheduled, stop }
}
