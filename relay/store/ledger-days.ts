import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageEntry } from '../usage/usage-entry'
import { LineLog } from './line-log'

/** How many UTC days of the ledger stay in memory (the others are read again when asked for). */
const DAYS_IN_MEMORY = 3

const DAY = /^\d{4}-\d{2}-\d{2}$/

export interface LedgerDay {
  log: LineLog
  entries: Map<string, UsageEntry>
}

/** The file store's ledger, ledger/<YYYY-MM-DD>.jsonl, with the few most recent days in memory. */
export interface LedgerDays {
  /** Runs `use` on one day's ledger (opening its file); the day stays loaded meanwhile. */
  withDayAsync<T>(day: string, use: (ledger: LedgerDay) => Promise<T> | T): Promise<T>
  /**
   * Runs a read on one day's ledger. A day with no file is answered empty without creating one:
   * `GET /v1/usage?day=…` for days nobody spent on must leave nothing behind.
   */
  readDayAsync<T>(day: string, use: (entries: ReadonlyMap<string, UsageEntry>) => T): Promise<T>
  /** Whether `day` is a UTC day with a ledger file (or loaded); never creates one. */
  hasDayAsync(day: string): Promise<boolean>
  closeAsync(): Promise<void>
}

type Log = (event: string, fields: Record<string, unknown>) => void

async function existsAsync(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false
    throw error
  }
}

async function openDayAsync(dir: string, day: string, log: Log): Promise<LedgerDay> {
  const file = `${day}.jsonl`
  const { log: dayLog, records } = await LineLog.openAsync(join(dir, 'ledger', file), {
    onCorruptLine: (line) => log('store.corrupt_line', { file: `ledger/${file}`, line }),
    onTornTail: (bytes) => log('store.torn_tail', { file: `ledger/${file}`, bytes })
  })
  const entries = new Map<string, UsageEntry>()
  records.forEach((record, index) => {
    const entry = UsageEntry.safeParse(record)
    if (!entry.success) return log('store.corrupt_line', { file: `ledger/${file}`, line: index + 1 })
    const known = entries.get(entry.data.jobId)
    // A settled entry never changes again, whatever follows it.
    if (known === undefined || known.outcome === 'pending') entries.set(entry.data.jobId, entry.data)
  })
  return { log: dayLog, entries }
}

/** Ledger files are never rewritten: they are the record of spend. */
export function createLedgerDays(dir: string, log: Log): LedgerDays {
  const days = new Map<string, Promise<LedgerDay>>()
  /** Operations under way on each day: such a day is never evicted from memory. */
  const inUse = new Map<string, number>()

  function loadDayAsync(day: string): Promise<LedgerDay> {
    let loading = days.get(day)
    if (loading === undefined) {
      loading = openDayAsync(dir, day, log)
      days.set(day, loading)
      loading.catch(() => days.delete(day))
    }
    return loading
  }

  /** Keeps the few most recent days in memory; the ledger files keep them all. */
  function evictDays(): void {
    const idle = [...days.keys()].filter((day) => (inUse.get(day) ?? 0) === 0).sort()
    while (days.size > DAYS_IN_MEMORY && idle.length > 0) {
      const day = idle.shift()!
      const evicted = days.get(day)!
      days.delete(day)
      void evicted.then(
        (ledger) => ledger.log.closeAsync(),
        () => undefined
      )
    }
  }

  async function hasDayAsync(day: string): Promise<boolean> {
    if (!DAY.test(day)) return false
    return days.has(day) || existsAsync(join(dir, 'ledger', `${day}.jsonl`))
  }

  async function withDayAsync<T>(day: string, use: (ledger: LedgerDay) => Promise<T> | T): Promise<T> {
    if (!DAY.test(day)) throw new Error(`Not a UTC day: ${day}`)
    inUse.set(day, (inUse.get(day) ?? 0) + 1)
    try {
      return await use(await loadDayAsync(day))
    } finally {
      const left = (inUse.get(day) ?? 1) - 1
      if (left === 0) inUse.delete(day)
      else inUse.set(day, left)
      evictDays()
    }
  }

  return {
    withDayAsync,
    hasDayAsync,
    async readDayAsync(day, use) {
      if (!(await hasDayAsync(day))) return use(new Map())
      return withDayAsync(day, (ledger) => use(ledger.entries))
    },
    async closeAsync() {
      for (const loading of days.values())
        await loading.then(
          (ledger) => ledger.log.closeAsync(),
          () => undefined
        )
      days.clear()
    }
  }
}
