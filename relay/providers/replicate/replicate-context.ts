import type { HostConfig } from '../../config'
import type { ProviderDeps } from '../provider'
import { waitSecondsOf } from './wait-seconds-of'

/** The provider id, in logs and the variant engine. */
export const REPLICATE_PROVIDER = 'replicate'
/** The host's name, in error details. */
export const REPLICATE_NAME = 'Replicate'

/** What every Replicate call needs, fixed once per relay from the host's settings. */
export interface ReplicateContext {
  /** REPLICATE_API_URL without a trailing slash. */
  apiUrl: string
  /** The only origin the key is sent to (see apiUrlOf). */
  origin: string
  authorization: string
  /** The `Prefer: wait` hold, seconds. */
  waitSeconds: number
  deps: ProviderDeps
}

export function createReplicateContext(host: HostConfig, deps: ProviderDeps): ReplicateContext {
  const apiUrl = host.url.replace(/\/+$/, '')
  return { apiUrl, origin: new URL(apiUrl).origin, authorization: `Bearer ${host.key ?? ''}`, waitSeconds: waitSecondsOf(host), deps }
}
