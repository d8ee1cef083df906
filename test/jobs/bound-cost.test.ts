import { describe, expect, it } from 'vitest'
import { boundCost } from '../../relay/jobs/bound-cost'
import type { LogLine } from './jobs-setup'

const KONTEXT_MAX = { firstMpUsd: 0.08, extraMpUsd: 0, inputMpUsd: 0 }
const basis = (images: number) => ({ images, outputPixels: 1_000_000, inputPixels: 1_000_000 })

function run(reported: number | undefined, asked = 2, kept = 1) {
  const logs: LogLine[] = []
  const cost = boundCost(reported, KONTEXT_MAX, basis(asked), basis(kept), (event, fields) => void logs.push({ event, fields }))
  return { cost, logs }
}

describe('boundCost: what a run costs the ledger', () => {
  it('no reported cost: the catalogue price of the images kept, estimated, not billed by the host, nothing logged', () => {
    expect(run(undefined)).toEqual({ cost: { costUsd: 0.08, costEstimated: true, hostBilled: false }, logs: [] })
  })

  it('a reported 0 is believed (the lower edge)', () => {
    expect(run(0)).toEqual({ cost: { costUsd: 0, costEstimated: false, hostBilled: true }, logs: [] })
  })

  it('exactly ten times the catalogue price of the variants asked is believed (the upper edge)', () => {
    expect(run(1.6)).toEqual({ cost: { costUsd: 1.6, costEstimated: false, hostBilled: true }, logs: [] })
  })

  it('just over the ceiling: the catalogue price of the images kept, the anomaly logged with its numbers', () => {
    expect(run(1.6001)).toEqual({
      cost: { costUsd: 0.08, costEstimated: true, hostBilled: true },
      logs: [
        {
          event: 'job.host_anomaly',
          fields: { kind: 'cost_out_of_range', reportedUsd: 1.6001, ceilingUsd: 1.6, settledUsd: 0.08 }
        }
      ]
    })
  })

  it.each([-0.01, Number.NaN, Number.POSITIVE_INFINITY])('a reported %s is not believed', (reported) => {
    const { cost, logs } = run(reported, 1, 1)
    expect(cost).toEqual({ costUsd: 0.08, costEstimated: true, hostBilled: true })
    expect(logs).toHaveLength(1)
    expect(logs[0]?.fields).toMatchObject({ kind: 'cost_out_of_range', ceilingUsd: 0.8 })
  })
})
