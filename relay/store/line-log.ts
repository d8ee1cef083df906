import { open, readFile, rename, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface LineLogOptions {
  /** Called for each complete line that is not JSON (1-based line number); the line is skipped. */
  onCorruptLine?: (lineNumber: number) => void
  /** Called when a torn last line (a write cut short by a crash) was cut off. */
  onTornTail?: (bytes: number) => void
}

interface Pending {
  data: string
  resolve: () => void
  reject: (error: unknown) => void
}

/** fsync a directory so a rename or a new file in it survives a power cut (not possible on Windows). */
export async function syncDirectoryAsync(path: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    await handle.sync()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error
  } finally {
    await handle?.close()
  }
}

/**
 * An append-only file of JSON lines. Appends are queued and written in batches, each batch one
 * write and one fsync (group commit): a promise resolves once its line is on disk. On open, a last
 * line cut short by a crash is cut off the file; a garbled complete line is reported and skipped.
 * `rewriteAsync` (compaction) writes a new file beside it, fsyncs it, renames it over the old one
 * and fsyncs the directory, so a crash leaves either the old file or the new one, whole.
 */
export class LineLog {
  private handle: FileHandle
  private size: number
  private pending: Pending[] = []
  private flushing: Promise<void> | undefined
  private chain: Promise<void> = Promise.resolve()
  // Boxed, so that a write that failed with a falsy reason still counts as failed.
  private failed: { error: unknown } | undefined
  private closed = false
  /** Lines in the file (read at open plus appended), for the owner's compaction policy. */
  lines: number

  private constructor(
    private readonly path: string,
    handle: FileHandle,
    size: number,
    lines: number
  ) {
    this.handle = handle
    this.size = size
    this.lines = lines
  }

  /** Opens (creating) the file and returns it with every record it holds, in order. */
  static async openAsync(path: string, options: LineLogOptions = {}): Promise<{ log: LineLog; records: unknown[] }> {
    let text = ''
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error
    }
    const end = text.lastIndexOf('\n') + 1
    const records: unknown[] = []
    const lines = end === 0 ? [] : text.slice(0, end - 1).split('\n')
    lines.forEach((line, index) => {
      if (line.trim() === '') return
      try {
        records.push(JSON.parse(line))
      } catch {
        options.onCorruptLine?.(index + 1)
      }
    })
    const handle = await open(path, 'a+')
    const size = Buffer.byteLength(text.slice(0, end))
    if (end < text.length) {
      // The tail after the last newline is a write a crash cut short: never acknowledged, so drop it.
      await handle.truncate(size)
      await handle.sync()
      options.onTornTail?.(Buffer.byteLength(text) - size)
    }
    return { log: new LineLog(path, handle, size, lines.length), records }
  }

  /** Appends records, one JSON line each; resolves once they are written and fsynced. */
  appendAsync(records: readonly unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed.`))
    if (this.failed !== undefined) return Promise.reject(this.failed.error)
    const data = records.map((record) => `${JSON.stringify(record)}\n`).join('')
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data, resolve, reject })
      this.lines += records.length
      this.flushing ??= this.exclusiveAsync(() => this.flushAsync())
    })
  }

  /**
   * Replaces the whole file with the records `snapshot` gives (compaction). The snapshot is taken
   * when the rewrite runs, after every append queued before it is written, so none is lost.
   */
  rewriteAsync(snapshot: () => readonly unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed.`))
    return this.exclusiveAsync(async () => {
      const records = snapshot()
      const data = records.map((record) => `${JSON.stringify(record)}\n`).join('')
      const temporary = `${this.path}.compact`
      const handle = await open(temporary, 'w')
      try {
        await handle.writeFile(data)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, this.path)
      await syncDirectoryAsync(dirname(this.path))
      await this.handle.close()
      this.handle = await open(this.path, 'a+')
      this.size = Buffer.byteLength(data)
      this.lines = records.length
    })
  }

  /** Waits for queued writes, then closes the file. */
  async closeAsync(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.chain.catch(() => undefined)
    await this.handle.close()
  }

  private exclusiveAsync(operationAsync: () => Promise<void>): Promise<void> {
    const run = this.chain.then(operationAsync)
    this.chain = run.catch(() => undefined)
    return run
  }

  private async flushAsync(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      const data = Buffer.from(batch.map((item) => item.data).join(''))
      try {
        await this.handle.write(data, 0, data.length)
        await this.handle.datasync()
        this.size += data.length
        batch.forEach((item) => item.resolve())
      } catch (error) {
        // Cut off whatever part of the batch reached the file; if even that fails, refuse all later writes.
        try {
          await this.handle.truncate(this.size)
        } catch {
          this.failed = { error }
        }
        batch.forEach((item) => item.reject(error))
      }
    }
    this.flushing = undefined
  }
}
