import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectoryAsync } from './line-log'

const FORMAT = { format: 'kontext-edit-relay-store', version: 1 } as const

/** Writes store.json into a new store folder; refuses a folder that holds another format. */
export async function checkStoreFormatAsync(dir: string): Promise<void> {
  const formatPath = join(dir, 'store.json')
  const format = await readFile(formatPath, 'utf8').then(
    (text) => JSON.parse(text) as unknown,
    (error: unknown) => ((error as { code?: unknown }).code === 'ENOENT' ? undefined : Promise.reject(error))
  )
  if (format === undefined) {
    await writeFile(formatPath, `${JSON.stringify(FORMAT)}\n`)
    await syncDirectoryAsync(dir)
  } else if (JSON.stringify(format) !== JSON.stringify(FORMAT)) {
    throw new Error(`${dir} holds data of another format (${JSON.stringify(format)}); this relay reads ${JSON.stringify(FORMAT)}.`)
  }
}
