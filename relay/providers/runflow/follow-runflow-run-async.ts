import { pollAsync } from '../shared/poll-async'
import { QUEUED, RUNNING, Run, isTerminal } from './runflow-answers'
import type { RunflowApi } from './runflow-api'

/** `GET /v1/runs/{id}` (SDK client.ts `RunsResource.get`); undefined when worth asking again. */
async function getRunAsync(api: RunflowApi, runId: string, signal: AbortSignal): Promise<Run | undefined> {
  const outcome = await api.callAsync('GET', `/v1/runs/${encodeURIComponent(runId)}`, undefined, signal)
  if (!outcome.ok) {
    const code = outcome.error.code
    // A revoked key or a vanished run will not come right by asking again.
    if (code === 'provider_not_configured' || outcome.status === 404) throw outcome.error
    api.deps.log('provider.poll_retry', { provider: 'runflow', runId, code, detail: outcome.error.detail })
    return undefined
  }
  const run = Run.safeParse(outcome.json)
  if (!run.success || run.data.id !== runId) {
    api.deps.log('provider.poll_retry', { provider: 'runflow', runId, detail: 'run record not readable' })
    return undefined
  }
  return run.data
}

/**
 * GETs the run until it ends (the create's own record counts as the first look). Poll failures
 * (network, 429, 5xx, garbled bodies) are retried until the deadline. Runflow lets nobody but an
 * admin cancel a run, and even that neither stops nor refunds it (docs.runflow.io/guides/cancel-a-run),
 * so an abort only stops polling.
 */
export async function followRunflowRunAsync(
  api: RunflowApi,
  created: Run,
  signal: AbortSignal,
  onStatus: (status: string) => void
): Promise<Run> {
  let latest: Run | undefined = created
  let unknownLogged = false
  return pollAsync(
    async () => {
      const run = latest ?? (await getRunAsync(api, created.id, signal))
      latest = undefined
      if (run === undefined) return undefined
      const status = run.status_code
      if (isTerminal(status)) return run
      if (!QUEUED.has(status) && !RUNNING.has(status) && !unknownLogged) {
        unknownLogged = true
        api.deps.log('provider.unknown_status', { provider: 'runflow', runId: created.id, status: status.slice(0, 40) })
      }
      onStatus(status)
      return undefined
    },
    { signal, sleepAsync: api.deps.sleepAsync }
  )
}
