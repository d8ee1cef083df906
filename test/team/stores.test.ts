import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openFileStoreAsync } from '../../relay/store/open-file-store-async'
import { StoreLockedError } from '../../relay/store/store-locked-error'
import { LineLog } from '../../relay/store/line-log'
import { createMemoryStore } from '../../relay/store/memory-store'
import { describeRelayStore, entry, job } from './store-contract'
import { tempDir } from './team-harness'

describeRelayStore('the in-memory store', { openAsync: async () => createMemoryStore() })

{
  let dir = ''
  describeRelayStore('the file store', {
    openAsync: async () => {
      dir = tempDir('kontext-store-')
      return openFileStoreAsync(dir)
    },
    reopenAsync: async (store) => {
      await store.closeAsync()
      return openFileStoreAsync(dir)
    },
    footprintAsync: async () => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
  })
}

describe('the file store on disk', () => {
  it('lets one relay use a folder at a time, and takes over the lock of a process that died', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir)
    // Line 1 is the pid; line 2 (on Linux) its start time (test/team/folder-lock.test.ts).
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(process.pid))
    await expect(openFileStoreAsync(dir)).rejects.toThrow(StoreLockedError)
    await expect(openFileStoreAsync(dir)).rejects.toThrow(
      `Another relay (process ${process.pid}) is using ${dir}. Stop it, or set RELAY_DATA_DIR to another folder.`
    )
    await store.closeAsync()
    expect(existsSync(join(dir, 'LOCK'))).toBe(false)

    // A pid no process has (beyond the kernel's maximum): a crash left it behind.
    writeFileSync(join(dir, 'LOCK'), '4194305\n')
    const again = await openFileStoreAsync(dir)
    await again.closeAsync()
  })

  it('cuts off a line a crash left half-written, and skips a garbled line, keeping the rest', async () => {
    const dir = tempDir()
    const logs: Array<[string, Record<string, unknown>]> = []
    const first = await openFileStoreAsync(dir)
    await first.putJobAsync(job('kept'))
    await first.reserveUsageAsync(entry('kept'), null)
    await first.closeAsync()
    appendFileSync(join(dir, 'jobs.log'), 'not json at all\n{"put":{"id":"half')
    appendFileSync(join(dir, 'ledger', '2025-06-30.jsonl'), '{"jobId":"half-writ')

    const second = await openFileStoreAsync(dir, { log: (event, fields) => logs.push([event, fields]) })
    expect((await second.listJobsAsync()).map((item) => item.id)).toEqual(['kept'])
    expect((await second.usageEntriesAsync('2025-06-30')).map((item) => item.jobId)).toEqual(['kept'])
    await second.putJobAsync(job('after'))
    await second.closeAsync()
    expect(logs.map(([event, fields]) => `${event} ${String(fields.file)}`)).toEqual(
      expect.arrayContaining(['store.torn_tail jobs.log', 'store.corrupt_line jobs.log', 'store.torn_tail ledger/2025-06-30.jsonl'])
    )
    const third = await openFileStoreAsync(dir)
    expect((await third.listJobsAsync()).map((item) => item.id).sort()).toEqual(['after', 'kept'])
    await third.closeAsync()
  })

  it('compacts jobs.log: one line a live job, same content', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir, { compactAfterLines: 20 })
    for (let update = 0; update < 60; update += 1) await store.putJobAsync(job('busy', { progress: update / 100, updatedAt: update }))
    await store.putJobAsync(job('other'))
    const lines = readFileSync(join(dir, 'jobs.log'), 'utf8').trim().split('\n')
    expect(lines.length).toBeLessThan(25)
    expect((await store.getJobAsync('busy'))?.progress).toBe(0.59)
    await store.closeAsync()
    const reopened = await openFileStoreAsync(dir)
    expect((await reopened.getJobAsync('busy'))?.progress).toBe(0.59)
    expect(readFileSync(join(dir, 'jobs.log'), 'utf8').trim().split('\n')).toHaveLength(2)
    await reopened.closeAsync()
  })

  it('loses no write that races a compaction', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir, { compactAfterLines: 5 })
    const ids = Array.from({ length: 8 }, (_, index) => `race-${index}`)
    const writes: Array<Promise<void>> = []
    // Writes keep arriving while earlier ones are being flushed and the log is being compacted.
    for (let round = 0; round < 40; round += 1) {
      for (const id of ids) writes.push(store.putJobAsync(job(id, { updatedAt: round })))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(writes)
    await Promise.all(ids.slice(0, 4).map((id) => store.deleteJobAsync(id)))
    await store.closeAsync()
    const reopened = await openFileStoreAsync(dir)
    expect((await reopened.listJobsAsync()).map((item) => [item.id, item.updatedAt]).sort()).toEqual(ids.slice(4).map((id) => [id, 39]))
    await reopened.closeAsync()
  })

  it('takes a compaction’s snapshot only once the appends queued before it are written', async () => {
    const path = join(tempDir(), 'log.jsonl')
    const { log } = await LineLog.openAsync(path)
    const state: string[] = []
    const put = (value: string) => {
      state.push(value)
      return log.appendAsync([value])
    }
    const first = put('a')
    const rewrite = log.rewriteAsync(() => state.map((value) => `snapshot:${value}`))
    // Arrives while 'a' is being written, before the rewrite runs.
    const second = put('b')
    await Promise.all([first, rewrite, second])
    await put('c')
    await log.closeAsync()
    const reopened = await LineLog.openAsync(path)
    expect(reopened.records).toEqual(['snapshot:a', 'snapshot:b', 'c'])
    await reopened.log.closeAsync()
  })

  it('removes images no succeeded job lists (a crash between the bytes and the job)', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir)
    await store.putJobAsync(job('running'))
    await store.putImagesAsync('running', [new Uint8Array([1])])
    await store.closeAsync()
    mkdirSync(join(dir, 'images', 'stray'))
    const reopened = await openFileStoreAsync(dir)
    expect(readdirSync(join(dir, 'images'))).toEqual([])
    expect(await reopened.getImageAsync('running', 0)).toBeUndefined()
    await reopened.closeAsync()
  })

  it('keeps ledger days apart, one file a UTC day, and reads an old day back', async () => {
    const dir = tempDir()
    const store = await openFileStoreAsync(dir)
    for (const day of ['2025-06-01', '2025-06-02', '2025-06-03', '2025-06-04', '2025-06-05'])
      await store.reserveUsageAsync(entry(`j-${day}`, { day }), null)
    expect(readdirSync(join(dir, 'ledger')).sort()).toEqual([
      '2025-06-01.jsonl',
      '2025-06-02.jsonl',
      '2025-06-03.jsonl',
      '2025-06-04.jsonl',
      '2025-06-05.jsonl'
    ])
    expect((await store.usageEntriesAsync('2025-06-01')).map((item) => item.jobId)).toEqual(['j-2025-06-01'])
    expect(await store.usageEntriesAsync('../jobs')).toEqual([])
    await store.closeAsync()
  })

  it('refuses a folder written in another format', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'store.json'), '{"format":"something-else","version":9}')
    await expect(openFileStoreAsync(dir)).rejects.toThrow(/another format/)
    expect(existsSync(join(dir, 'LOCK'))).toBe(false)
  })
})
