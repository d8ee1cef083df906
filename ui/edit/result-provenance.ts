import type { Provenance } from '../../shared/provenance'
import type { EditJob } from '../../shared/relay-api'
import type { ResultContext } from './collect-results-async'

/** Where a result came from, as it is stored on its layer: the edit, the host's image, its source. */
export function resultProvenance(job: EditJob, index: number, context: ResultContext, createdAt: string): Provenance {
  const image = job.images[index]!
  return {
    version: 1,
    prompt: context.prompt,
    provider: job.provider,
    model: job.model,
    ...(image.seed === undefined ? {} : { seed: image.seed }),
    options: context.options,
    sourceId: context.sourceId,
    sourceName: context.sourceName,
    relayJobId: job.id,
    variant: index + 1,
    resultWidth: image.width,
    resultHeight: image.height,
    createdAt,
    ...(context.parent === undefined ? {} : { parent: context.parent })
  }
}
