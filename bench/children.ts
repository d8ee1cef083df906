import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The bundled child entries sit beside the bundled benchmark (dist/bench/). */
export const HERE = dirname(fileURLToPath(import.meta.url))

export interface Child<Ready> {
  process: ChildProcess
  pid: number
  ready: Ready
  /** Sends a message and resolves with the first answer of `type`. */
  askAsync<T>(message: { type: string; [key: string]: unknown }): Promise<T>
  stopAsync(): Promise<void>
}

export interface ChildOptions {
  /** A module to fork instead of `dist/bench/<name>.mjs`. */
  module?: string
  /** Modules to load first (`--import`). */
  preload?: string[]
  cwd?: string
  /** More Node flags. */
  execArgv?: string[]
}

/** Forks `dist/bench/<name>.mjs` (or `options.module`) with `env` added, and waits for its `{type: 'ready'}` message. */
export async function startChildAsync<Ready>(name: string, env: Record<string, string>, options: ChildOptions = {}): Promise<Child<Ready>> {
  const child = fork(options.module ?? join(HERE, `${name}.mjs`), [], {
    env: { ...process.env, ...env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // The relay logs a JSON line a request, as in production; the lines go nowhere here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [
      '--expose-gc',
      ...(options.execArgv ?? []),
      ...(options.preload ?? []).flatMap((module) => ['--import', pathToFileURL(module).href])
    ]
  })
  const ready = await new Promise<Ready>((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message.type !== 'ready') return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message as Ready)
    }
    const onExit = (code: number | null) => reject(new Error(`bench child ${name} exited (${code}) before it was ready`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
  return {
    process: child,
    pid: child.pid!,
    ready,
    askAsync<T>(message: { type: string }) {
      return new Promise<T>((resolve) => {
        const onMessage = (answer: { type?: string }) => {
          if (answer.type !== message.type) return
          child.off('message', onMessage)
          resolve(answer as T)
        }
        child.on('message', onMessage)
        child.send(message)
      })
    },
    async stopAsync() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }
}

/** Resident memory now and its high-water mark, in bytes, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/** Resets the high-water mark (Linux: `echo 5 > /proc/<pid>/clear_refs`); false where not allowed. */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Samples VmRSS every `everyMs` until stopped; the high-water mark covers what falls between samples. */
export function sampleMemory(pid: number, everyMs = 20): { stop(): { peakRss: number; samples: number } } {
  let peakRss = 0
  let samples = 0
  const timer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memoryOf(pid).rss)
      samples += 1
    } catch {
      // the child is gone
    }
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return { peakRss, samples }
    }
  }
}
