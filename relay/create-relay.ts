import { ProviderId } from '../shared/models'
import { sleepAsync } from '../shared/sleep-async'
import { createApp } from './app'
import { resolveAccountsAsync } from './auth/accounts'
import { createTokenBucketLimiter, type RateLimiter } from './auth/rate-limiter'
import type { RelayConfig } from './config'
import { createEditJobs } from './jobs/edit-jobs'
import { createLogContext, createRelayLog, type Log } from './log/relay-log'
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
  fetch: typeof fetch
  /** Where log lines go. The relay adds the request and job ids and scrubs prompts and image data first. */
  log: Log
  now?: () => number
  randomUUID?: () => string
  sleepAsync?: ProviderDeps['sleepAsync']
  /** Jobs, images and the ledger (default: in memory; the Node entry passes the file store). */
  store?: RelayStore
  /** Edits a minute per token (default: a token bucket in this process, on `now`). */
  rateLimiter?: RateLimiter
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
    if (config.hosts[id].enabled) providers[id] = PROVIDER_FACTORIES[id](config.hosts[id], providerDeps)
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
    providerTimeoutMs: config.providerTimeoutMs
  })
  const accounts = resolveAccountsAsync(config.accounts, config.tokens)
  const rateLimiter = deps.rateLimiter ?? createTokenBucketLimiter(now)
  const app = createApp(config, { jobs, store, accounts, rateLimiter, now, log, logContext })
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
