import type { HostConfig } from '../../config'
import type { ProviderDeps } from '../provider'

/** What every step of a Runware call needs: where Runware is, the key, the relay's deps, a log tagged `runware`. */
export interface RunwareContext {
  apiUrl: string
  apiKey: string
  deps: ProviderDeps
  log(event: string, fields: Record<string, unknown>): void
}

export function createRunwareContext(host: HostConfig, deps: ProviderDeps): RunwareContext {
  return {
    apiUrl: host.url,
    apiKey: host.key ?? '',
    deps,
    log: (event, fields) => deps.log(event, { provider: 'runware', ...fields })
  }
}
