import { describe, expect, it } from 'vitest'
import { toEditJob } from '../../relay/http/to-edit-job'
import type { JobRecord } from '../../relay/jobs/job-record'

const T0 = Date.UTC(2025, 5, 30, 12)

function job(fields: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'job/1',
    owner: 'alice',
    status: 'running',
    provider: 'runware',
    model: 'kontext-max',
    createdAt: T0,
    updatedAt: T0 + 1500,
    expiresAt: T0 + 3_600_000,
    numImages: 2,
    reservedUsd: 0.16,
    images: [],
    costEstimated: false,
    ...fields
  }
}

describe('toEditJob', () => {
  it('answers a running job with its times as ISO text and whole seconds left, and no optional fields', () => {
    expect(toEditJob(job(), T0 + 1000)).toEqual({
      id: 'job/1',
      status: 'running',
      provider: 'runware',
      model: 'kontext-max',
      createdAt: '2025-06-30T12:00:00.000Z',
      updatedAt: '2025-06-30T12:00:01.500Z',
      images: [],
      expiresInSeconds: 3599
    })
  })

  it('rounds the seconds left down and never below 0', () => {
    expect(toEditJob(job(), T0 + 3_598_001).expiresInSeconds).toBe(1)
    expect(toEditJob(job(), T0 + 3_599_999).expiresInSeconds).toBe(0)
    expect(toEditJob(job(), T0 + 3_600_000).expiresInSeconds).toBe(0)
    expect(toEditJob(job(), T0 + 9_000_000).expiresInSeconds).toBe(0)
  })

  it('lists each image with its URL, and its seed only when it has one', () => {
    const body = toEditJob(
      job({
        status: 'succeeded',
        images: [
          { contentType: 'image/png', width: 1024, height: 768, seed: 0, byteLength: 10 },
          { contentType: 'image/webp', width: 512, height: 512, byteLength: 20 }
        ]
      }),
      T0
    )
    expect(body.images).toEqual([
      { url: '/v1/edits/job%2F1/images/0', width: 1024, height: 768, contentType: 'image/png', seed: 0 },
      { url: '/v1/edits/job%2F1/images/1', width: 512, height: 512, contentType: 'image/webp' }
    ])
    expect(Object.hasOwn(body.images[1]!, 'seed')).toBe(false)
  })

  it('adds the error, cost, estimate mark and progress when the job has them', () => {
    const body = toEditJob(
      job({ status: 'failed', error: { code: 'moderated', message: 'No.' }, costUsd: 0, costEstimated: true, progress: 0 }),
      T0
    )
    expect(body).toMatchObject({ error: { code: 'moderated', message: 'No.' }, cost: 0, costEstimated: true, progress: 0 })
    const plain = toEditJob(job({ costUsd: 0.1 }), T0)
    expect(plain.cost).toBe(0.1)
    expect(Object.keys(plain)).not.toContain('costEstimated')
    expect(Object.keys(plain)).not.toContain('error')
    expect(Object.keys(plain)).not.toContain('progress')
  })
})
