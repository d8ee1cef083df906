import { serve } from '@hono/node-server'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseRelayConfig, type RelayConfig } from './config'
import { ConfigError } from './config-error'
import { createRelay } from './relay'
import { ensureLocalToken } from './node/ensure-local-token'
import { nodeSha256 } from './auth/node-sha256'
import { nodeImagePlatform } from './images/node-image-platform'
import { createJsonLogger } from './node/json-logger'
import { loadEnvFileIfPresent } from './node/load-env-file-if-present'
import { createNodePublicFetch } from './net/node-public-fetch'
import { startupBanner } from './node/startup-banner'
import { openFileStoreAsync } from './store/open-file-store-async'
import { StoreLockedError } from './store/store-locked-error'
import type { RelayStore } from './store/relay-store'

function stop(message: string): never {
  process.stderr.write(`\n${message}\n`)
  process.exit(1)
}

function stopOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error
  stop(`${error.message}\n\nFix the variable and start the relay again. docs/team-relay.md lists every variable.`)
}

const envFileLoaded = loadEnvFileIfPresent()
let config: RelayConfig
try {
  config = parseRelayConfig(process.env, { readFile: (path) => readFileSync(path, 'utf8') })
} catch (error) {
  stopOnConfigError(error)
}
const tokenSource = config.accounts.length > 0 ? 'RELAY_TOKENS_FILE' : config.tokens.length > 0 ? 'RELAY_TOKENS' : '.relay-token'
if (tokenSource === '.relay-token') config = { ...config, tokens: [ensureLocalToken()] }

const secrets = [
  ...Object.values(config.hosts).map((host) => host.key),
  ...config.tokens,
  ...config.accounts.map((account) => account.token)
].filter((value): value is string => value !== undefined)
const log = createJsonLogger((line) => process.stdout.write(`${line}\n`), secrets)

const dataDir = resolve(config.dataDir)
let store: RelayStore
try {
  store = await openFileStoreAsync(dataDir, { log })
} catch (error) {
  if (error instanceof StoreLockedError) stop(`The relay could not start: ${error.message}`)
  stop(`The relay could not open its data folder ${dataDir} (RELAY_DATA_DIR): ${error instanceof Error ? error.message : String(error)}`)
}

let relay: ReturnType<typeof createRelay>
try {
  // Host adapters read their own settings here (e.g. ComfyUI's workflow file).
  // Result URLs and redirects off a host's own origin connect only to public addresses (docs/outbound.md).
  relay = createRelay(config, {
    fetch,
    publicFetch: createNodePublicFetch().fetch,
    log,
    store,
    images: nodeImagePlatform,
    sha256: nodeSha256
  })
} catch (error) {
  await store.closeAsync()
  stopOnConfigError(error)
}
const { app, jobs } = relay
// Jobs a stop or a crash cut off are recorded before anything is served.
await jobs.recoverAsync()
const sweeper = setInterval(() => {
  jobs.sweepAsync().catch((error: unknown) => log('store.sweep_failed', { error }))
}, 60_000)
sweeper.unref()

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  const shownHost = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host
  process.stdout.write(
    startupBanner({
      config,
      url: `http://${shownHost}:${info.port}`,
      manifestPath: resolve('manifest.json'),
      token: tokenSource === 'RELAY_TOKENS_FILE' ? undefined : config.tokens[0],
      tokenSource,
      envFileLoaded,
      dataDir
    })
  )
})
server.on('error', (error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? `Port ${config.port} is in use. Stop the other process or set PORT.` : error.message
  void store.closeAsync().finally(() => stop(`The relay could not start: ${hint}`))
})

/** After the grace time, how long requests already being answered get before their connections are cut. */
const SERVER_CLOSE_MS = 2_000

/** Stops accepting connections, lets answers under way finish for up to `ms`, then cuts what is left (e.g. a long poll). */
async function closeServerAsync(ms: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
  if ('closeAllConnections' in server) server.closeAllConnections()
}

let stopping = false
function shutdown(signal: string): void {
  if (stopping) {
    log('relay.forced_stop', { signal })
    process.exit(1)
  }
  stopping = true
  log('relay.stopping', { signal, graceSeconds: config.shutdownGraceMs / 1000 })
  clearInterval(sweeper)
  // The server keeps answering through the grace time: running edits finish (their results are
  // paid for) for up to SHUTDOWN_GRACE_SECONDS, new edits get `503 interrupted` with Retry-After
  // (jobs.createAsync refuses them once draining), and polls and downloads keep working so a paid
  // result can still be fetched. Only then is the server closed, before the store it reads from.
  // A second signal forces the stop.
  jobs
    .shutdownAsync(config.shutdownGraceMs)
    .then(() => closeServerAsync(SERVER_CLOSE_MS))
    .then(() => store.closeAsync())
    .then(
      () => {
        log('relay.stopped', { signal })
        process.exit(0)
      },
      (error: unknown) => {
        log('relay.stop_failed', { error })
        process.exit(1)
      }
    )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
