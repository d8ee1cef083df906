import { ProviderId } from '../shared/models'
import { createApp, type Log } from './app'
import type { RelayConfig } from './config'
import { createEditJobs } from './jobs/edit-jobs'
import { createMemoryJobStore, type JobStore } from './jobs/job-store'
import type { Provider, ProviderDeps } from './providers/provider'
import { createRunwareProvider } from './providers/runware'
import { sleepAsync } from '../shared/sleep-async'

export interface RelayDeps {
  fetch: typeof fetch
  log: Log
  now?: () => number
  randomUUID?: () => string
  store?: JobStore
}

/** A table: each host's factory, given its key and base URL. */
const PROVIDER_FACTORIES: Record<ProviderId, (key: string, url: string, deps: ProviderDeps) => Provider> = {
  runware: (apiKey, apiUrl, deps) => createRunwareProvider({ apiKey, apiUrl }, deps)
}

/** Wires config and platform objects into the app; every runtime's entry calls this. */
export function createRelay(config: RelayConfig, deps: RelayDeps) {
  const now = deps.now ?? Date.now
  const randomUUID = deps.randomUUID ?? (() => crypto.randomUUID())
  const providerDeps: ProviderDeps = { fetch: deps.fetch, sleepAsync, randomUUID, log: deps.log }
  const providers: Partial<Record<ProviderId, Provider>> = {}
  for (const id of ProviderId.options) {
    const key = config.providerKeys[id]
    if (key !== undefined) providers[id] = PROVIDER_FACTORIES[id](key, config.providerUrls[id], providerDeps)
  }
  const jobs = createEditJobs({
    store: deps.store ?? createMemoryJobStore(),
    providers,
    now,
    randomUUID,
    log: deps.log,
    resultTtlMs: config.resultTtlMs,
    providerTimeoutMs: config.providerTimeoutMs
  })
  const app = createApp(config, { jobs, now, log: deps.log })
  return { app, jobs }
}
