import { serve } from '@hono/node-server'
import { resolve } from 'node:path'
import { ConfigError, parseRelayConfig } from './config'
import { createRelay } from './create-relay'
import { ensureLocalToken } from './node/ensure-local-token'
import { createJsonLogger } from './node/json-logger'
import { loadEnvFileIfPresent } from './node/load-env-file'
import { startupBanner } from './node/startup-banner'

function stopOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`\n${error.message}\n\nFix the variable and start the relay again. The README lists every variable.\n`)
  process.exit(1)
}

const envFileLoaded = loadEnvFileIfPresent()
let config
try {
  config = parseRelayConfig(process.env)
} catch (error) {
  stopOnConfigError(error)
}
const tokenSource = config.tokens.length > 0 ? 'RELAY_TOKENS' : '.relay-token'
if (config.tokens.length === 0) config = { ...config, tokens: [ensureLocalToken()] }

const secrets = [...Object.values(config.hosts).map((host) => host.key), ...config.tokens].filter((value): value is string => value !== undefined)
const log = createJsonLogger((line) => process.stdout.write(`${line}\n`), secrets)
let relay
try {
  // Host adapters read their own settings here (e.g. ComfyUI's workflow file).
  relay = createRelay(config, { fetch, log })
} catch (error) {
  stopOnConfigError(error)
}
const { app, jobs } = relay
const sweeper = setInterval(() => jobs.sweep(), 60_000)
sweeper.unref()

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  const shownHost = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host
  process.stdout.write(
    startupBanner({
      config,
      url: `http://${shownHost}:${info.port}`,
      manifestPath: resolve('manifest.json'),
      token: config.tokens[0]!,
      tokenSource,
      envFileLoaded
    })
  )
})
server.on('error', (error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? `Port ${config.port} is in use. Stop the other process or set PORT.` : error.message
  process.stderr.write(`\nThe relay could not start: ${hint}\n`)
  process.exit(1)
})

let stopping = false
function shutdown(signal: string): void {
  if (stopping) process.exit(1)
  stopping = true
  log('relay.stopping', { signal })
  // Finish in-flight edits (their results are paid for) before closing; a second signal forces it.
  server.close()
  void jobs.settleAsync().then(() => process.exit(0))
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
