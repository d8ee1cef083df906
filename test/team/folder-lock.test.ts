/**
 * The file store's LOCK (relay/store/lock-folder-async.ts) against real processes on this Linux machine:
 * a zombie (what a relay killed with SIGKILL is until its parent reaps it) and a live unrelated
 * process that got the pid do not hold the folder; a live relay does, with a clear message; where
 * there is no /proc the pid alone decides and the message says how to clear a stale lock.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openFileStoreAsync } from '../../relay/store/open-file-store-async'
import { StoreLockedError } from '../../relay/store/store-locked-error'
import { tempDir } from './team-harness'

const HAS_PROC = existsSync('/proc/self/stat')
const started: ChildProcess[] = []

afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

/** proc(5): the state letter and starttime (field 22) of a process. */
function statOf(pid: number): { state: string; start: string } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0]!, start: fields[19]! }
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * A zombie: `sh` starts a short `sleep` in the background and becomes (exec) a long `sleep`, which
 * never reaps its child. Answers the zombie's pid once /proc shows it as Z.
 */
async function zombieAsync(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
  started.push(parent)
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
  )
  for (let poll = 0; poll < 200 && statOf(pid).state !== 'Z'; poll += 1) await pause(20)
  expect(statOf(pid).state).toBe('Z')
  return pid
}

async function unrelatedAsync(): Promise<number> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  started.push(child)
  await new Promise((resolve) => child.once('spawn', resolve))
  return child.pid!
}

async function outcomeAsync(dir: string, options: { procRoot?: string } = {}): Promise<string> {
  try {
    const store = await openFileStoreAsync(dir, options)
    const mine = readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0]
    await store.closeAsync()
    return mine === String(process.pid) ? 'taken over' : `LOCK says ${mine}`
  } catch (error) {
    if (error instanceof StoreLockedError) return `refused: ${error.message}`
    throw error
  }
}

describe.skipIf(!HAS_PROC)('a stale LOCK on Linux', () => {
  it('naming a zombie (a relay killed with SIGKILL, not yet reaped) is taken over, with or without its start time', async () => {
    const pid = await zombieAsync()
    const dir = tempDir()
    writeFileSync(join(dir, 'LOCK'), `${pid}\n${JSON.stringify({ start: statOf(pid).start })}\n`)
    const withIdentity = await outcomeAsync(dir)
    writeFileSync(join(dir, 'LOCK'), `${pid}\n`)
    const pidOnly = await outcomeAsync(dir)
    console.log(`stale LOCK (zombie pid): ${withIdentity}; as a pid-only LOCK of an older relay: ${pidOnly}`)
    expect([withIdentity, pidOnly]).toEqual(['taken over', 'taken over'])
  })

  it('naming a pid the kernel has since given to an unrelated process is taken over', async () => {
    const pid = await unrelatedAsync()
    const dir = tempDir()
    // Written by a relay that ran under this pid earlier: another start time.
    writeFileSync(join(dir, 'LOCK'), `${pid}\n${JSON.stringify({ start: String(Number(statOf(pid).start) - 1) })}\n`)
    const reused = await outcomeAsync(dir)
    // The same with an older relay's pid-only LOCK: the process is not Node, so it is not a relay.
    writeFileSync(join(dir, 'LOCK'), `${pid}\n`)
    const reusedPidOnly = await outcomeAsync(dir)
    // The relay is pid 1 in every container it runs in: after a restart its own pid is in LOCK, with the old start time.
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n${JSON.stringify({ start: String(Number(statOf(process.pid).start) - 1) })}\n`)
    const ownPidReused = await outcomeAsync(dir)
    // Written after a reboot: the same pid and start time, another boot.
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n${JSON.stringify({ start: statOf(process.pid).start, boot: 'another-boot' })}\n`)
    const otherBoot = await outcomeAsync(dir)
    console.log(
      `stale LOCK (pid reused by an unrelated process): ${reused}; pid-only: ${reusedPidOnly}; own pid after a container restart: ${ownPidReused}; another boot: ${otherBoot}`
    )
    expect([reused, reusedPidOnly, ownPidReused, otherBoot]).toEqual(['taken over', 'taken over', 'taken over', 'taken over'])
  })

  it('held by a live relay stops the next one with a clear message; the lock names the pid and its start time', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir)
    const [pid, identity] = readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')
    expect(pid).toBe(String(process.pid))
    expect(JSON.parse(identity!)).toEqual({
      start: statOf(process.pid).start,
      boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    })
    const second = await outcomeAsync(dir)
    console.log(`live LOCK: ${second}`)
    expect(second).toBe(
      `refused: Another relay (process ${process.pid}) is using ${dir}. Stop it, or set RELAY_DATA_DIR to another folder.`
    )
    await store.closeAsync()
    expect(readdirSync(dir).filter((name) => name.startsWith('LOCK'))).toEqual([])
  })

  it('lets exactly one of several stores opening the same folder at once have it', async () => {
    const dir = tempDir()
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => openFileStoreAsync(dir)))
    const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
    expect(opened).toHaveLength(1)
    expect(results.filter((result) => result.status === 'rejected').every((result) => result.reason instanceof StoreLockedError)).toBe(true)
    await opened[0]!.closeAsync()
  })
})

describe('a LOCK where there is no /proc (macOS, Windows)', () => {
  it('falls back to the pid: a running one holds the folder (the message says how to clear a stale one), a gone one is taken over', async () => {
    const noProc = tempDir('kontext-no-proc-')
    const dir = tempDir()
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n`)
    const running = await outcomeAsync(dir, { procRoot: noProc })
    expect(running).toBe(
      `refused: Another relay (process ${process.pid}) is using ${dir}. Stop it, or set RELAY_DATA_DIR to another folder. If no relay is running, delete ${join(dir, 'LOCK')} and start again.`
    )
    // A pid no process has (beyond the kernel's maximum): a crash left it behind.
    writeFileSync(join(dir, 'LOCK'), '4194305\n')
    expect(await outcomeAsync(dir, { procRoot: noProc })).toBe('taken over')
    // The store writes the pid alone there.
    const store = await openFileStoreAsync(dir, { procRoot: noProc })
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`)
    await store.closeAsync()
  })
})
