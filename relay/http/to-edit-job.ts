import { ROUTES, type EditJob } from '../../shared/relay-api'
import type { JobRecord } from '../jobs/job-record'

export function toEditJob(job: JobRecord, now: number): EditJob {
  const body: EditJob = {
    id: job.id,
    status: job.status,
    provider: job.provider,
    model: job.model,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    images: job.images.map((image, index) => ({
      url: ROUTES.image(job.id, index),
      width: image.width,
      height: image.height,
      contentType: image.contentType,
      ...(image.seed === undefined ? {} : { seed: image.seed })
    })),
    expiresInSeconds: Math.max(0, Math.floor((job.expiresAt - now) / 1000))
  }
  if (job.error !== undefined) body.error = job.error
  // Stryker disable next-line ConditionalExpression: the answer is JSON, which leaves out a cost set to undefined
  if (job.costUsd !== undefined) body.cost = job.costUsd
  if (job.costEstimated) body.costEstimated = true
  if (job.progress !== undefined) body.progress = job.progress
  return body
}
