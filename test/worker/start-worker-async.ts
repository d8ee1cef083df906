/**
 * Runs the built worker bundle (dist/worker.mjs, from `npm run build` / scripts/test.mjs) in the
 * real `workerd` runtime (the `workerd` npm package; wrangler and miniflare need Node 22 and are
 * not used). Each call writes a config.capnp to a fresh temporary folder: the worker module, the
 * RelayObject Durable Object namespace with its storage on disk there, the bindings (host keys
 * and base URLs pointing at fakes on 127.0.0.1, tokens), and a `globalOutbound` that may reach
 * local addresses. workerd is started on a free 127.0.0.1 port and is ready once it answers
 * `/v1/health`. `close()` stops it (SIGTERM, then SIGKILL) and removes the folder; a vitest worker
 * that exits kills it too, so no workerd outlives the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The compatibility date wrangler.toml deploys with; the tests run the bundle on the same one. */
export const COMPATIBILITY_DATE = '2025-09-01'
export const COMPATIBILITY_FLAGS = ['nodejs_compat']
export const WORKER_BUNDLE = resolve('dist/worker.mjs')

export interface RunningWorker {
  url: string
  /** workerd's process id (the benchmark reads its CPU time). */
  pid: number
  /** Everything workerd wrote to stdout and stderr so far (the relay's JSON log lines among it). */
  output(): string
  /** Stops workerd and removes its folder. Safe to call twice. */
  close(): Promise<void>
}

export interface WorkerOptions {
  /** Text bindings: the relay's variables and secrets (RUNWARE_API_KEY, RELAY_TOKENS, …). */
  bindings: Record<string, string>
  /** Durable Object storage: on disk in the temporary folder (default) or in memory. */
  storage?: 'disk' | 'memory'
  /**
   * A folder for the Durable Object storage that outlives this workerd (the caller removes it),
   * so a second workerd on the same folder is a restart of the relay.
   */
  storageDir?: string
}

/** The binary of the installed `workerd` package (its main export is the path). */
export function workerdBinary(): string {
  const required = createRequire(import.meta.url)('workerd') as { default: string }
  return required.default
}

/** A capnp text literal. Bindings here are ASCII; anything else is refused rather than mis-escaped. */
function capnpString(value: string): string {
  if (!/^[\x20-\x7e\n]*$/.test(value)) throw new Error(`binding value is not printable ASCII: ${JSON.stringify(value).slice(0, 40)}`)
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

export function workerdConfig(options: {
  port: number
  bindings: Record<string, string>
  storage: 'disk' | 'memory'
  storageDir?: string
}): string {
  const bindings = Object.entries(options.bindings).map(
    ([name, value]) => `    (name = ${capnpString(name)}, text = ${capnpString(value)}),`
  )
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .relayWorker),
    # The worker's fetch() goes out through this: the fakes listen on 127.0.0.1.
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "do-storage", disk = (path = ${capnpString(options.storageDir ?? 'do-storage')}, writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${options.port}", http = (), service = "main") ],
);

const relayWorker :Workerd.Worker = (
  modules = [ (name = "worker.mjs", esModule = embed "worker.mjs") ],
  compatibilityDate = ${capnpString(COMPATIBILITY_DATE)},
  compatibilityFlags = [${COMPATIBILITY_FLAGS.map(capnpString).join(', ')}],
  bindings = [
${bindings.join('\n')}
    (name = "RELAY", durableObjectNamespace = "RelayObject"),
  ],
  durableObjectNamespaces = [ (className = "RelayObject", uniqueKey = "kontext-relay-test") ],
  durableObjectStorage = ${options.storage === 'memory' ? '(inMemory = void)' : '(localDisk = "do-storage")'},
  globalOutbound = "internet",
);
`
}

async function freePortAsync(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', done)
  })
  const address = server.address()
  await new Promise<void>((done) => server.close(() => done()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

function killAllOnExit(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

async function stopAsync(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
  await exited
  clearTimeout(timer)
}

async function waitForHealthAsync(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`workerd exited (${child.exitCode ?? child.signalCode}):\n${output()}`)
    try {
      const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100))
  }
  throw new Error(`workerd did not answer /v1/health within ${timeoutMs} ms:\n${output()}`)
}

/** Starts workerd on the built bundle; throws (with workerd's output) when it does not come up. */
export async function startWorkerAsync(options: WorkerOptions): Promise<RunningWorker> {
  if (!existsSync(WORKER_BUNDLE)) throw new Error(`${WORKER_BUNDLE} is missing: run npm run build first (npm test does).`)
  killAllOnExit()
  let lastError: unknown
  // A free port can be taken between finding it and workerd binding it: try again then.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'kontext-workerd-'))
    mkdirSync(join(dir, 'do-storage'))
    copyFileSync(WORKER_BUNDLE, join(dir, 'worker.mjs'))
    const port = await freePortAsync()
    writeFileSync(
      join(dir, 'config.capnp'),
      workerdConfig({
        port,
        bindings: options.bindings,
        storage: options.storage ?? 'disk',
        ...(options.storageDir === undefined ? {} : { storageDir: options.storageDir })
      })
    )
    const child = spawn(workerdBinary(), ['serve', 'config.capnp', '--verbose'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    const url = `http://127.0.0.1:${port}`
    let closed = false
    const close = async (): Promise<void> => {
      if (closed) return
      closed = true
      await stopAsync(child)
      running.delete(child)
      rmSync(dir, { recursive: true, force: true })
    }
    try {
      await waitForHealthAsync(url, child, () => text, 15_000)
      return { url, pid: child.pid!, output: () => text, close }
    } catch (error) {
      lastError = error
      await close()
      if (!/Address already in use|EADDRINUSE/i.test(String(error))) break
    }
  }
  throw lastError
}
