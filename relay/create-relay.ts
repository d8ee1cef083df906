import { ProviderId } from '../shared/models'
import { sleepAsync } from '../shared/sleep-async'
import { createApp } from './app'
import { resolveAccountsAsync } from './auth/accounts'
import { createTokenBucketLimiter, type RateLimiter } from './auth/rate-limiter'
import type { RelayConfig } from './config'
import { createEditJobs } from './jobs/edit-jobs'
import type { ImagePlatform } from './images/image-platform'
import { createLogContext, createRelayLog, type Log } from './log/relay-log'
import { createOutboundFetch } from './net/outbound-fetch'
import { createMemoryStore } from './store/memory-store'
import type { RelayStore } from './store/relay-store'
import { createBflProvider } from './providers/bfl'
import { createComfyuiProvider } from './providers/comfyui'
import { createFalProvider } from './providers/fal'
import type { Provider, ProviderDeps, ProviderFactory } from './providers/provider'
import { createReplicateProvider } from './providers/replicate'
import { createRunflowProvider } from './providers/runflow'
import { createRunwareProvider } from './providers/runware'

export interface RelayDeps {
  /** The platform fetch. Adapters never get it bare: each host gets an outbound fetch over it (docs/outbound.md). */
  fetch: typeof fetch
  /**
   * The fetch for origins other than a host's configured one, refusing non-public addresses after
   * name resolution (Node: createNodePublicFetch). Default `fetch` (Workers: Cloudflare's fetch
   * cannot reach private addresses).
   */
  publicFetch?: typeof fetch
  /** Where log lines go. The relay adds the request and job ids and scrubs prompts and image data first. */
  log: Log
  now?: () => number
  randomUUID?: () => string
  sleepAsync?: ProviderDeps['sleepAsync']
  /** Jobs, images and the ledger (default: in memory; the Node entry passes the file store). */
  store?: RelayStore
  /** Edits a minute per token (default: a token bucket in this process, on `now`). */
  rateLimiter?: RateLimiter
  /** crc32 and inflate for the upload check (default: Web APIs, as on Workers; Node passes nodeImagePlatform, ~10× faster). */
  images?: ImagePlatform
}

/** A table: each host's adapter factory. */
const PROVIDER_FACTORIES: Record<ProviderId, ProviderFactory> = {
  runware: createRunwareProvider,
  runflow: createRunflowProvider,
  bfl: createBflProvider,
  fal: createFalProvider,
  replicate: createReplicateProvider,
  comfyui: createComfyuiProvider
}

/**
 * The cap on one answer read as text, for hosts whose answers can carry result images as base64
 * (Runware `imageBase64Data`, Replicate's sync `data:` output, Runflow's inline `data:` output,
 * fal's `data:` URLs, which its adapter accepts). BFL and ComfyUI answer a few kB of JSON and keep
 * readTextAsync's 16 MiB default. The figure: the plugin places results up to 4096 px a side; a
 * 4096² RGB PNG is at most its 48 MiB of pixels (incompressible noise), 64 MiB as base64, and
 * about half that for photographic content. 128 MiB holds two worst-case 4096² images or four
 * typical ones (every host's variantsPerCall is at most 4), and over thirty times Kontext's own
 * largest output (1568×672 RGBA, at most ~4 MiB as a PNG). Reading stops there, far below V8's
 * string limit (~512 MiB), which a 700 MB answer used to hit.
 */
const BASE64_ANSWER_MAX_BYTES = 128 * 1024 * 1024
const ANSWER_MAX_BYTES: Record<ProviderId, number | undefined> = {
  runware: BASE64_ANSWER_MAX_BYTES,
  runflow: BASE64_ANSWER_MAX_BYTES,
  replicate: BASE64_ANSWER_MAX_BYTES,
  fal: BASE64_ANSWER_MAX_BYTES,
  bfl: undefined,
  comfyui: undefined
}

/**
 * Wires config and platform objects into the app; every runtime's entry calls this. With a
 * persistent store, call `jobs.recoverAsync()` before serving, and `closeAsync()` to stop.
 */
export function createRelay(config: RelayConfig, deps: RelayDeps) {
  const now = deps.now ?? Date.now
  const randomUUID = deps.randomUUID ?? (() => crypto.randomUUID())
  const logContext = createLogContext()
  const log = createRelayLog(deps.log, logContext, { logPrompts: config.logPrompts })
  const store = deps.store ?? createMemoryStore()
  const providerDeps: ProviderDeps = { fetch: deps.fetch, sleepAsync: deps.sleepAsync ?? sleepAsync, randomUUID, now, log }
  const providers: Partial<Record<ProviderId, Provider>> = {}
  for (const id of ProviderId.options) {
    if (!config.hosts[id].enabled) continue
    // Every request an adapter makes, to its host or to a result URL, goes through its host's outbound rules.
    const fetch = createOutboundFetch({ hostBaseUrl: config.hosts[id].url, fetch: deps.fetch, publicFetch: deps.publicFetch, maxAnswerBytes: ANSWER_MAX_BYTES[id] })
    providers[id] = PROVIDER_FACTORIES[id](config.hosts[id], { ...providerDeps, fetch })
  }
  const jobs = createEditJobs({
    store,
    providers,
    now,
    randomUUID,
    log,
    logContext,
    logPrompts: config.logPrompts,
    resultTtlMs: config.resultTtlMs,
    providerTimeoutMs: config.providerTimeoutMs,
    capacity: { maxRunningEdits: config.maxRunningEdits, maxInflightBytes: config.maxInflightBytes }
  })
  const accounts = resolveAccountsAsync(config.accounts, config.tokens)
  const rateLimiter = deps.rateLimiter ?? createTokenBucketLimiter(now)
  const app = createApp(config, { jobs, store, accounts, rateLimiter, now, log, logContext, images: deps.images })
  return {
    app,
    jobs,
    store,
    log,
    /** Stops taking edits, lets running ones finish for up to `graceMs` (then records them as interrupted), and closes the store. */
    async closeAsync(graceMs = config.shutdownGraceMs): Promise<void> {
      await jobs.shutdownAsync(graceMs)
      await store.closeAsync()
    }
  }
}
