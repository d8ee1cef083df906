/**
 * The relay as a Cloudflare Worker (bundled by scripts/build.mjs into dist/worker.mjs; deployed
 * with wrangler.toml; run in workerd by `npm test`, see test/worker/).
 *
 * This entry is stateless: it forwards every request to the one `RelayObject` Durable Object
 * (relay/worker/relay-object.ts), which reads the configuration from the bindings with
 * `parseRelayConfig` (relay/worker/worker-config.ts), runs `createRelay` on a store in its own
 * storage, and runs each edit to its end after the `POST` has answered. Why there, and not with
 * `ctx.waitUntil` here, is explained in relay-object.ts. Nothing here may import Node-only code.
 */
import type { DurableObjectNamespace, ExecutionContext } from './worker/platform'
import { STORE_RPC_PREFIX } from './worker/handle-store-rpc-async'

// workerd and wrangler find the Durable Object class among the entry module's exports.
export { RelayObject } from './worker/relay-object'

/** The name of the one object that holds the team's jobs and ledger. */
const RELAY_OBJECT_NAME = 'relay'

export interface RelayWorkerEnv {
  /** The Durable Object namespace of RelayObject (wrangler.toml binds it as RELAY). */
  RELAY: DurableObjectNamespace
  /** "1" only in tests: exposes the store contract routes on scratch objects. */
  RELAY_TEST_ROUTES?: string
  [name: string]: unknown
}

export default {
  async fetch(request: Request, env: RelayWorkerEnv, _ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname.startsWith(STORE_RPC_PREFIX)) {
      if (env.RELAY_TEST_ROUTES !== '1') return Response.json({ error: { code: 'not_found', message: 'Not found.' } }, { status: 404 })
      const name = pathname.slice(STORE_RPC_PREFIX.length)
      return env.RELAY.get(env.RELAY.idFromName(`test-store:${name}`)).fetch(request)
    }
    return env.RELAY.get(env.RELAY.idFromName(RELAY_OBJECT_NAME)).fetch(request)
  }
}
