import type { HostConfig } from '../../config'

/** `Prefer: wait=N` takes 1–60 seconds (docs/hosts.md, "Replicate"). */
export const DEFAULT_WAIT_SECONDS = 5
const MIN_WAIT_SECONDS = 1
const MAX_WAIT_SECONDS = 60

/** REPLICATE_WAIT_SECONDS from the host's settings, 1–60; the default otherwise. */
export function waitSecondsOf(host: HostConfig): number {
  const value = Number(host.settings.REPLICATE_WAIT_SECONDS ?? '')
  return Number.isInteger(value) && value >= MIN_WAIT_SECONDS && value <= MAX_WAIT_SECONDS ? value : DEFAULT_WAIT_SECONDS
}
