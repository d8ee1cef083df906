import { AppError } from '../../../shared/errors'
import type { HostConfig } from '../../config'
import type { ProviderDeps } from '../provider'

/** What every call to fal's queue needs: the deps, the configured queue URL, the key's headers, the URL check. */
export interface FalConnection {
  deps: ProviderDeps
  /** FAL_QUEUE_URL: submits go under it, and plain http is trusted only on its origin. */
  queueUrl: string
  headers(json: boolean): Record<string, string>
  /** A URL fal returned, checked before the key is sent to it. */
  checkedUrl(url: string, what: string): string
}

export function createFalConnection(host: HostConfig, deps: ProviderDeps): FalConnection {
  const key = host.key ?? ''
  const hostOrigin = new URL(host.url).origin
  return {
    deps,
    queueUrl: host.url,
    headers: (json) => ({
      authorization: `Key ${key}`,
      accept: 'application/json',
      ...(json ? { 'content-type': 'application/json' } : {})
    }),
    checkedUrl(url, what) {
      // The key goes only over https, or to the configured origin (a test fake, a local proxy).
      const parsed = new URL(url)
      if (parsed.protocol === 'https:' || parsed.origin === hostOrigin) return parsed.href
      throw new AppError('provider_error', undefined, {
        detail: `fal ${what} is on ${parsed.origin}; the key is sent only over https or to the configured origin`
      })
    }
  }
}
