import { ProviderId } from '../shared/models'
import { sleepAsync } from '../shared/sleep-async'
import { createApp, type Log } from './app'
import type { RelayConfig } from './config'
import { createEditJobs } from './jobs/edit-jobs'
import { createMemoryJobStore, type JobStore } from './jobs/job-store'
import { createBflProvider } from './providers/bfl'
import { createComfyuiProvider } from './providers/comfyui'
import { createFalProvider } from './providers/fal'
import type { Provider, ProviderDeps, ProviderFactory } from './providers/provider'
import { createReplicateProvider } from './providers/replicate'
import { createRunflowProvider } from './providers/runflow'
import { createRunwareProvider } from './providers/runware'

export interface RelayDeps {
  fetch: typeof fetch
  log: Log
  now?: () => number
  randomUUID?: () => string
  sleepAsync?: ProviderDeps['sleepAsync']
  store?: JobStore
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

/** Wires config and platform objects into the app; every runtime's entry calls this. */
export function createRelay(config: RelayConfig, deps: RelayDeps) {
  const now = deps.now ?? Date.now
  const randomUUID = deps.randomUUID ?? (() => crypto.randomUUID())
  const providerDeps: ProviderDeps = { fetch: deps.fetch, sleepAsync: deps.sleepAsync ?? sleepAsync, randomUUID, now, log: deps.log }
  const providers: Partial<Record<ProviderId, Provider>> = {}
  for (const id of ProviderId.options) {
    if (config.hosts[id].enabled) providers[id] = PROVIDER_FACTORIES[id](config.hosts[id], providerDeps)
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
