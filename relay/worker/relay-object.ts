import type { RelayConfig } from '../config'
import { ConfigError } from '../config-error'
import { createRelay } from '../relay'
import { createDurableStore } from './durable-store'
import type { DurableObjectState } from './platform'
import { handleStoreRpcAsync } from './handle-store-rpc-async'
import { secretsOf, workerConfig, type WorkerEnv } from './worker-config'

/** While edits run, the object wakes itself this often (an alarm), and sweeps expired jobs. */
const HEARTBEAT_MS = 15_000
/** With only finished jobs left, the next sweep is at the first expiry, but at least this late. */
const MIN_SWEEP_DELAY_MS = 1_000

/** One JSON object a line on the Worker's console (`wrangler tail`), secrets masked. */
function consoleLog(secrets: readonly string[]) {
  const masks = secrets.filter((secret) => secret.length >= 8)
  return (event: string, fields: Record<string, unknown>): void => {
    let line = JSON.stringify({ time: new Date().toISOString(), event, ...fields })
    for (const secret of masks) line = line.split(secret).join('[redacted]')
    console.log(line)
  }
}

function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' }
  })
}

type Relay = ReturnType<typeof createRelay>

/**
 * The relay itself, as a Durable Object: the whole Hono app (`createRelay`) runs here, on a
 * RelayStore kept in this object's storage (durable-store.ts). The Worker in front
 * (relay/worker.ts) is stateless and forwards every request to one object of this class.
 *
 * Why the jobs run here and not in the Worker with `ctx.waitUntil`: an edit takes up to
 * PROVIDER_TIMEOUT_SECONDS (180 s by default) after the `POST` has answered 202, and `waitUntil`
 * gives a Worker only about 30 s after its response. A Durable Object has no such limit, is one
 * single-threaded instance, and so keeps what the Node relay keeps in one process: the job's
 * AbortController (DELETE stops the host call at once), the long-poll waiters (`?wait=N` wakes
 * when the job changes), the per-token rate buckets, and the order of changes to one job. Its
 * storage makes the budget reservation atomic per owner (one object, one queue). While edits run,
 * an alarm wakes the object every HEARTBEAT_MS, so it is not evicted as idle; the same alarm
 * sweeps expired jobs, as the Node relay's timer does.
 *
 * If the object is restarted anyway (a deploy, an eviction, a crash), its constructor runs
 * `recoverAsync`, as the Node relay does at start: edits that were running are recorded as failed
 * with `interrupted` and their reservations released. Nothing is lost silently.
 *
 * Scale: one object serves the whole team (every token, every job, the whole ledger). That is
 * simple and exact; a team that outgrows one object's throughput would shard by owner.
 */
export class RelayObject {
  private readonly relay: Relay | undefined

  constructor(
    private readonly state: DurableObjectState,
    private readonly env: WorkerEnv
  ) {
    let config: RelayConfig
    try {
      config = workerConfig(env)
    } catch (error) {
      // Answered as 500 on every request; the reason goes to the log only (it names variables).
      console.error(
        JSON.stringify({
          time: new Date().toISOString(),
          event: 'relay.config_invalid',
          error: error instanceof ConfigError ? error.message : String(error)
        })
      )
      return
    }
    const store = createDurableStore(state.storage)
    // createRelay wraps this fetch per host in the outbound rules (docs/outbound.md); no publicFetch is
    // needed here, as Cloudflare's fetch does not connect to private addresses.
    this.relay = createRelay(config, { fetch: (input, init) => fetch(input, init), log: consoleLog(secretsOf(config)), store })
    const relay = this.relay
    // Nothing is served until the jobs a restart cut off are recorded.
    void state.blockConcurrencyWhile(async () => {
      await relay.jobs.recoverAsync()
      await this.scheduleAsync()
    })
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/__test/store/')) {
      // Test-only (the Worker forwards here only with RELAY_TEST_ROUTES=1, and only to scratch objects).
      return handleStoreRpcAsync(request, this.state.storage)
    }
    if (this.relay === undefined)
      return jsonError(500, 'internal', 'The relay is not configured correctly. Whoever runs it can see why in its log.')
    const response = await this.relay.app.fetch(request)
    if (request.method === 'POST' && response.status === 202) await this.scheduleAsync()
    return response
  }

  /** The heartbeat while edits run, and the sweep of expired jobs. */
  async alarm(): Promise<void> {
    if (this.relay === undefined) return
    await this.relay.jobs.sweepAsync()
    await this.scheduleAsync()
  }

  /** Sets the next alarm: soon while edits run, at the first expiry otherwise, none with no jobs. */
  private async scheduleAsync(): Promise<void> {
    const relay = this.relay
    if (relay === undefined) return
    const jobs = await relay.store.listJobsAsync()
    if (jobs.length === 0) return
    const now = Date.now()
    const running = jobs.some((job) => job.status === 'queued' || job.status === 'running')
    const wanted = running ? now + HEARTBEAT_MS : Math.max(now + MIN_SWEEP_DELAY_MS, Math.min(...jobs.map((job) => job.expiresAt)))
    const current = await this.state.storage.getAlarm()
    if (current === null || current <= now || current > wanted) await this.state.storage.setAlarm(wanted)
  }
}
