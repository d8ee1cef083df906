/** Node only (relay/node.ts passes it to createRelay; the Worker bundle must never import it). */
import { createHash } from 'node:crypto'
import type { Sha256 } from './token-index'

export const nodeSha256: Sha256 = (bytes) => createHash('sha256').update(bytes).digest()
