import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectoryAsync } from './line-log'
import type { RelayStore } from './relay-store'
import { SAFE_ID } from './safe-id'

/** The file store's result images: images/<job id>/<n>. */
export type FileImages = Pick<RelayStore, 'putImagesAsync' | 'getImageAsync'>

/** Each image is written to a temporary file, fsynced, then renamed, so a crash never leaves half of one. */
export function createFileImages(imagesDir: string, assertOpen: () => void): FileImages {
  function imageDir(jobId: string): string {
    if (!SAFE_ID.test(jobId)) throw new Error(`Not a job id: ${jobId}`)
    return join(imagesDir, jobId)
  }

  return {
    async putImagesAsync(jobId, images) {
      assertOpen()
      const folder = imageDir(jobId)
      await mkdir(folder, { recursive: true })
      for (const [index, bytes] of images.entries()) {
        const temporary = join(folder, `${index}.tmp`)
        const handle = await open(temporary, 'w')
        try {
          await handle.writeFile(bytes)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temporary, join(folder, String(index)))
      }
      await syncDirectoryAsync(folder)
      await syncDirectoryAsync(imagesDir)
    },
    async getImageAsync(jobId, index) {
      assertOpen()
      if (!SAFE_ID.test(jobId) || !Number.isInteger(index) || index < 0) return undefined
      try {
        const bytes = await readFile(join(imagesDir, jobId, String(index)))
        // The file's own buffer, not a copy of it.
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return undefined
        throw error
      }
    }
  }
}
