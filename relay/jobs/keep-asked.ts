import type { ProviderImage } from '../providers/provider'

type Log = (event: string, fields: Record<string, unknown>) => void

/**
 * At most as many images as were asked for: a host that answers more (a bug, or a batch meant for
 * someone else) must not fill the store. The extra ones are dropped and logged.
 */
export function keepAsked(images: readonly ProviderImage[], asked: number, log: Log): ProviderImage[] {
  if (images.length > asked) log('job.host_anomaly', { kind: 'extra_images', asked, received: images.length })
  return images.slice(0, asked)
}
