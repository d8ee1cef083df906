import type { FigmaPort } from '../figma-port'

const FILE_ID_KEY = 'kontext-edit/file-id'

/**
 * A stable id for this Figma file, minted once into the document's plugin data: figma.fileKey
 * is only available to private plugins, and history is per file.
 */
export function fileIdOf(root: FigmaPort['root'], randomId: () => string): string {
  const existing = root.getPluginData(FILE_ID_KEY)
  if (/^[a-z0-9-]{8,64}$/.test(existing)) return existing
  const id = randomId()
  root.setPluginData(FILE_ID_KEY, id)
  return id
}
