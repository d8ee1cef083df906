import { estimateCostUsd } from '../../shared/models'
import { outputSizeFor } from '../../shared/output-size-for'
import type { ModelCapabilities } from '../../shared/relay-api'
import { referenceSize, referenceTargetOf, shareOf } from '../../shared/reference-target'

type Box = { width: number; height: number }

/**
 * What the panel's "about $…" says: each edit's references exported at the model's reference size
 * (as the sandbox will), the first one's aspect asked for at the size the relay will ask the host
 * for (relay/jobs/plan-output-size.ts), priced per image with the catalogue's rule.
 */
export function estimateEditsCostUsd(capabilities: ModelCapabilities, edits: ReadonlyArray<ReadonlyArray<Box>>, variants: number): number {
  const target = referenceTargetOf(capabilities)
  let total = 0
  for (const frames of edits) {
    const references = frames.map((frame) => referenceSize(frame, shareOf(target, frames.length)))
    const first = references[0]
    if (first === undefined) continue
    const output = outputSizeFor(capabilities.output, first, first.width * first.height)
    const inputPixels = references.reduce((sum, reference) => sum + reference.width * reference.height, 0)
    total += estimateCostUsd(capabilities.price, { images: variants, outputPixels: output.width * output.height, inputPixels })
  }
  return Math.round(total * 10_000) / 10_000
}
