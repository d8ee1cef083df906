import { ProviderId } from '../shared/models'
import type { RelayConfig } from './config'

/** The hosts this relay serves: those whose key (ComfyUI: URL) is set. */
export function enabledProviders(config: RelayConfig): ProviderId[] {
  return ProviderId.options.filter((id) => config.hosts[id].enabled)
}
