import { describe, expect, it } from 'vitest'
import { keepAsked } from '../../relay/jobs/keep-asked'
import type { ProviderImage } from '../../relay/providers/provider'
import type { LogLine } from './jobs-setup'

const images = (count: number): ProviderImage[] =>
  Array.from({ length: count }, (_, index) => ({ bytes: new Uint8Array([index]), seed: index }))

function run(received: number, asked: number) {
  const logs: LogLine[] = []
  const kept = keepAsked(images(received), asked, (event, fields) => void logs.push({ event, fields }))
  return { kept, logs }
}

describe('keepAsked: no more images than asked for', () => {
  it('one more than asked: the first ones kept, the extra dropped and logged', () => {
    const { kept, logs } = run(3, 2)
    expect(kept.map((image) => image.seed)).toEqual([0, 1])
    expect(logs).toEqual([{ event: 'job.host_anomaly', fields: { kind: 'extra_images', asked: 2, received: 3 } }])
  })

  it('exactly as many as asked: all kept, nothing logged', () => {
    const { kept, logs } = run(2, 2)
    expect(kept).toHaveLength(2)
    expect(logs).toEqual([])
  })

  it('fewer than asked: all kept, nothing logged', () => {
    const { kept, logs } = run(1, 2)
    expect(kept).toHaveLength(1)
    expect(logs).toEqual([])
  })
})
