import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

export interface RelayProcess {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** http://127.0.0.1:PORT, from the relay's own "running at" line. */
  url: string
  /** Every stdout line so far (the relay's JSON log lines among them), minus those `onLine` took. */
  lines: string[]
  exited: Promise<number | null>
}

export interface RelayProcessOptions {
  /** The built Node entry, relative to the repo (e.g. a copy of dist/relay.mjs). */
  bundle: string
  cwd: string
  /** The relay's environment; PATH, PORT=0 and HOST=127.0.0.1 are set unless given. */
  env: Record<string, string>
  /** Flags for node before the bundle (e.g. --expose-gc). */
  nodeArgs?: string[]
  /** Sees each stdout line first; true keeps it out of `lines`. */
  onLine?: (line: string) => boolean
}

/** The Node relay in its own process, as an operator runs it, answering on a free loopback port. */
export async function spawnRelayProcessAsync(options: RelayProcessOptions): Promise<RelayProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(process.cwd(), options.bundle)], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const parts = buffer.split('\n')
      buffer = parts.pop()!
      for (const line of parts) {
        if (options.onLine?.(line) === true) continue
        lines.push(line)
        const match = /relay is running at http:\/\/localhost:(\d+)/.exec(line)
        if (match !== null) resolve(`http://127.0.0.1:${match[1]}`)
      }
    })
    void exited.then((code) => reject(new Error(`the relay exited (${code}) before it served: ${stderr}`)))
  })
  return { child, url, lines, exited }
}
