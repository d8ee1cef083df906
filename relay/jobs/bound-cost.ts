import { estimateCostUsd, type CostBasis, type Price } from '../../shared/models'

/** A reported cost above this many times the catalogue price of the edit is not believed. */
const MAX_COST_FACTOR = 10

export interface ResultCost {
  costUsd: number
  /** True when `costUsd` is the catalogue price, not the host's figure. */
  costEstimated: boolean
  /** Whether the host reported a cost at all (even one not believed): it billed the run. */
  hostBilled: boolean
}

type Log = (event: string, fields: Record<string, unknown>) => void

/**
 * What the run costs the ledger: the host's figure when it reports one within [0, 10 × the
 * catalogue price of the edit], else the catalogue price of the images kept (logged as an anomaly
 * when the host's figure was out of range: a broken host must not empty or overfill a budget).
 */
export function boundCost(reported: number | undefined, price: Price, asked: CostBasis, kept: CostBasis, log: Log): ResultCost {
  const catalogue = { costUsd: estimateCostUsd(price, kept), costEstimated: true, hostBilled: reported !== undefined }
  if (reported === undefined) return catalogue
  const ceiling = MAX_COST_FACTOR * estimateCostUsd(price, asked)
  if (!Number.isFinite(reported) || reported < 0 || reported > ceiling) {
    log('job.host_anomaly', { kind: 'cost_out_of_range', reportedUsd: reported, ceilingUsd: ceiling, settledUsd: catalogue.costUsd })
    return catalogue
  }
  return { costUsd: reported, costEstimated: false, hostBilled: true }
}
