import { ProviderId } from '../shared/models'
import { sleepAsync } from '../shared/sleep-async'
import { createApp } from './app'
import { resolveAccountsAsync } from './auth/resolve-accounts-async'
import type { RateLimiter } from './auth/rate-limiter'
import { createTokenBucketLimiter } from './auth/token-bucket-limiter'
import type { RelayConfig } from './config'
import { createEditJobs } from './jobs/edit-jobs'
import type { Sha256 } from './auth/token-index'
import type { ImagePlatform } from './images/image-platform'
import { createLogContext, createRelayLog, type Log } from './log/relay-log'
import { createOutboundFetch } from './net/outbound-fetch'
import { createMemoryStore } from './store/memory-store'
import type { RelayStore } from './store/relay-store'
import { HOSTS } from './providers/hosts'
import type { Provider, ProviderDeps } from './providers/provider'

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
  /** Adapters by host (default: each enabled host's, from HOSTS); tests of the jobs layer pass a stub. */
  providers?: Partial<Record<ProviderId, Provider>>
  /** crc32 and inflate for the upload and result checks (default: Web APIs, as on Workers; Node passes nodeImagePlatform, ~10× faster). */
  images?: ImagePlatform
  /** SHA-256 for looking up tokens (default: WebCrypto's, as on Workers; Node passes node:crypto's, synchronous). */
  sha256?: Sha256
}

/** Each enabled host's adapter. Every request an adapter makes, to its host or to a result URL, goes through its host's outbound rules. */
function createProviders(config: RelayConfig, deps: RelayDeps, providerDeps: ProviderDeps): Partial<Record<ProviderId, Provider>> {
  const providers: Partial<Record<ProviderId, Provider>> = {}
  for (const id of ProviderId.options) {
    if (!config.hosts[id].enabled) continue
    const fetch = createOutboundFetch({
      hostBaseUrl: config.hosts[id].url,
      fetch: deps.fetch,
      publicFetch: deps.publicFetch,
      maxAnswerBytes: HOSTS[id].answerMaxBytes
    })
    providers[id] = HOSTS[id].createProvider(config.hosts[id], { ...providerDeps, fetch })
  }
  return providers
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
  const providers =
    deps.providers ?? createProviders(config, deps, { fetch: deps.fetch, sleepAsync: deps.sleepAsync ?? sleepAsync, randomUUID, now, log })
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
    capacity: { maxRunningEdits: config.maxRunningEdits, maxInflightBytes: config.maxInflightBytes },
    images: deps.images
  })
  const accounts = resolveAccountsAsync(config.accounts, config.tokens)
  const rateLimiter = deps.rateLimiter ?? createTokenBucketLimiter(now)
  const app = createApp(config, { jobs, store, accounts, rateLimiter, now, log, logContext, images: deps.images, sha256: deps.sha256 })
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

/** A wired relay: its app, its jobs and store, and how to stop it. */
export type Relay = ReturnType<typeof createRelay>
