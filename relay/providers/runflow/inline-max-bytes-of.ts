import type { HostConfig } from '../../config'

/** RUNFLOW_INLINE_MAX_BYTES from the host's settings: references smaller than this go inline; 0 (the default) uploads all. */
export function inlineMaxBytesOf(host: HostConfig): number {
  const value = Number(host.settings.RUNFLOW_INLINE_MAX_BYTES ?? '')
  return Number.isInteger(value) && value >= 0 ? value : 0
}
