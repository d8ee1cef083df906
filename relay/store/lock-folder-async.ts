import { randomUUID } from 'node:crypto'
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import * as z from 'zod'
import { StoreLockedError } from './store-locked-error'

export interface FolderLockOptions {
  /** Where Linux's proc filesystem is mounted (default `/proc`; tests point it at an empty folder to act as a system without one). */
  procRoot?: string
}

/**
 * Line 2 of LOCK: who wrote it, beyond the pid. Linux's `/proc/<pid>/stat` field 22 (starttime,
 * clock ticks after boot) and `/proc/sys/kernel/random/boot_id` name one process for good: a pid
 * the kernel hands to another process later (after a crash, or a container restart where the relay
 * is pid 1 every time) has another start time (proc(5), "/proc/pid/stat").
 */
const LockIdentity = z.object({ start: z.string().regex(/^\d+$/), boot: z.string().min(1).optional() }).strict()
type LockIdentity = z.infer<typeof LockIdentity>

interface ProcessState {
  /** proc(5) state letter: Z (zombie) and X (dead) are processes that no longer run. */
  state: string
  start: string
}

interface LockFile {
  pid: number
  identity: LockIdentity | undefined
}

type Verdict = { holder: 'none' } | { holder: 'relay'; verified: boolean }

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown }).code
}

/** proc(5): "pid (comm) state ppid …"; comm may hold spaces and parentheses, so fields count from the last ')'. */
async function processStateAsync(procRoot: string, pid: number | 'self'): Promise<ProcessState | undefined> {
  try {
    const text = await readFile(join(procRoot, String(pid), 'stat'), 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const state = fields[0]
    const start = fields[19]
    return state !== undefined && start !== undefined && /^\d+$/.test(start) ? { state, start } : undefined
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw error
  }
}

async function bootIdAsync(procRoot: string): Promise<string | undefined> {
  return readFile(join(procRoot, 'sys', 'kernel', 'random', 'boot_id'), 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined
  )
}

function parseLock(text: string): LockFile | undefined {
  const [first = '', second] = text.split('\n')
  if (!/^\d{1,10}$/.test(first.trim())) return undefined
  const pid = Number(first.trim())
  if (pid <= 0) return undefined
  let identity: LockIdentity | undefined
  try {
    const parsed = LockIdentity.safeParse(second === undefined || second.trim() === '' ? undefined : JSON.parse(second))
    identity = parsed.success ? parsed.data : undefined
  } catch {
    identity = undefined
  }
  return { pid, identity }
}

/** kill(pid, 0): 'gone' (ESRCH), 'other-user' (EPERM: it runs, under another user), or 'running' (which includes zombies). */
function signalProbe(pid: number): 'gone' | 'other-user' | 'running' {
  try {
    process.kill(pid, 0)
    return 'running'
  } catch (error) {
    return errorCode(error) === 'EPERM' ? 'other-user' : 'gone'
  }
}

/** A lock written before LOCK carried an identity: a live process that is not Node cannot be the relay that wrote it. */
async function runsNodeAsync(procRoot: string, pid: number): Promise<boolean | undefined> {
  try {
    const argv0 = (await readFile(join(procRoot, String(pid), 'cmdline'), 'utf8')).split('\0')[0] ?? ''
    return /node/i.test(basename(argv0))
  } catch {
    return undefined
  }
}

/**
 * Whether the process LOCK names still holds the folder. A pid alone is not enough: a process
 * killed with SIGKILL stays a zombie until its parent reaps it (kill(pid, 0) still succeeds), and
 * the pid may belong to an unrelated process by now. Where /proc answers, its state and start time
 * decide; where it does not (macOS, Windows), a running pid is taken as the relay's, unverified.
 */
async function judgeAsync(lock: LockFile, procRoot: string): Promise<Verdict> {
  const probe = signalProbe(lock.pid)
  if (probe === 'gone') return { holder: 'none' }
  const hasProc = (await processStateAsync(procRoot, 'self')) !== undefined
  if (!hasProc) return { holder: 'relay', verified: false }
  // Unreadable (not absent): nothing tells it is not the relay.
  const state = await processStateAsync(procRoot, lock.pid).catch(() => 'unreadable' as const)
  if (state === 'unreadable') return { holder: 'relay', verified: false }
  if (state === undefined) {
    // Signalled a moment ago but not in /proc: it ended since, unless /proc hides other users' processes (hidepid).
    return probe === 'other-user' ? { holder: 'relay', verified: false } : { holder: 'none' }
  }
  if (state.state === 'Z' || state.state === 'X') return { holder: 'none' }
  if (lock.identity !== undefined) {
    const boot = await bootIdAsync(procRoot)
    if (lock.identity.boot !== undefined && boot !== undefined && lock.identity.boot !== boot) return { holder: 'none' }
    return lock.identity.start === state.start ? { holder: 'relay', verified: true } : { holder: 'none' }
  }
  return (await runsNodeAsync(procRoot, lock.pid)) === false ? { holder: 'none' } : { holder: 'relay', verified: false }
}

async function ownLockTextAsync(procRoot: string): Promise<string> {
  const self = await processStateAsync(procRoot, process.pid).catch(() => undefined)
  if (self === undefined) return `${process.pid}\n`
  const boot = await bootIdAsync(procRoot)
  const identity: LockIdentity = { start: self.start, ...(boot === undefined ? {} : { boot }) }
  return `${process.pid}\n${JSON.stringify(identity)}\n`
}

/**
 * Creates LOCK with its whole content at once: written beside it, then hard-linked to the name
 * (link fails if LOCK exists), so no other relay ever reads a half-written LOCK. Where the file
 * system has no hard links, an exclusive create.
 */
async function createLockAsync(path: string, text: string): Promise<boolean> {
  const temporary = `${path}.${randomUUID()}.tmp`
  await writeFile(temporary, text, { flag: 'wx' })
  try {
    await link(temporary, path)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(String(errorCode(error)))) throw error
    try {
      await writeFile(path, text, { flag: 'wx' })
      return true
    } catch (fallbackError) {
      if (errorCode(fallbackError) === 'EEXIST') return false
      throw fallbackError
    }
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/**
 * Removes a stale LOCK, unless it changed since it was judged (another relay starting at the same
 * moment took it over first): it is moved aside, compared, and put back if it is not the one judged.
 */
async function removeStaleAsync(path: string, judged: string): Promise<void> {
  const aside = `${path}.${randomUUID()}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return
    throw error
  }
  const moved = await readFile(aside, 'utf8').catch(() => '')
  if (moved !== judged) await link(aside, path).catch(() => undefined)
  await unlink(aside).catch(() => undefined)
}

/**
 * One relay process a folder: LOCK holds the pid and (on Linux) the start time of the relay using
 * it. A LOCK whose process is gone, a zombie, or another process that got the same pid is taken
 * over; a live relay's stops this one with a message. Answers a function that releases the lock.
 */
export async function lockFolderAsync(dir: string, options: FolderLockOptions = {}): Promise<() => Promise<void>> {
  const procRoot = options.procRoot ?? '/proc'
  const path = join(dir, 'LOCK')
  const text = await ownLockTextAsync(procRoot)
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await createLockAsync(path, text)) {
      // Only our own LOCK is removed: one a later relay wrote (had it taken ours for stale) stays.
      return async () => {
        if ((await readFile(path, 'utf8').catch(() => undefined)) === text) await unlink(path).catch(() => undefined)
      }
    }
    const found = await readFile(path, 'utf8').catch((error: unknown) =>
      errorCode(error) === 'ENOENT' ? undefined : Promise.reject(error)
    )
    if (found === undefined) continue
    const lock = parseLock(found)
    const verdict: Verdict = lock === undefined ? { holder: 'none' } : await judgeAsync(lock, procRoot)
    if (verdict.holder === 'relay') {
      const unverified = verdict.verified ? '' : ` If no relay is running, delete ${path} and start again.`
      throw new StoreLockedError(
        `Another relay (process ${lock!.pid}) is using ${dir}. Stop it, or set RELAY_DATA_DIR to another folder.${unverified}`
      )
    }
    await removeStaleAsync(path, found)
  }
  throw new StoreLockedError(`Could not lock ${dir}: another relay keeps taking it.`)
}
