import type { ProviderId } from '../shared/models'

/** The hosts the polling rows measure (Runware in its async delivery). */
export type PollingHost = 'fal' | 'bfl' | 'replicate' | 'runflow' | 'runware-async' | 'comfyui'

/** The host each polling row runs on, and what its relay is told beyond the fake's own variables. */
export const POLLING_HOSTS: Record<PollingHost, { provider: ProviderId; name: string; env?: Record<string, string> }> = {
  fal: { provider: 'fal', name: 'fal (queue)' },
  bfl: { provider: 'bfl', name: 'Black Forest Labs' },
  replicate: { provider: 'replicate', name: 'Replicate (Prefer: wait 5 s)' },
  runflow: { provider: 'runflow', name: 'Runflow' },
  // Runware answers one image in one round trip; the polling row measures its async delivery.
  'runware-async': { provider: 'runware', name: 'Runware (async delivery)', env: { RUNWARE_DELIVERY: 'async' } },
  comfyui: { provider: 'comfyui', name: 'ComfyUI (+ its websocket)' }
}
