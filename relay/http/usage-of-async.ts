import { AppError } from '../../shared/errors'
import type { OwnerUsage, UsageResponse } from '../../shared/relay-api'
import type { Account } from '../auth/account'
import type { RelayStore } from '../store/relay-store'
import { fromMicros } from '../usage/from-micros'
import { nextUtcMidnight } from '../usage/next-utc-midnight'
import { toMicros } from '../usage/to-micros'
import { utcDay } from '../usage/utc-day'
import type { UsageTotals } from '../usage/usage-entry'

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
/**
 * Days a ledger can hold: none before this software existed (2000 is a round, safe floor), none
 * after tomorrow (a client's clock a little ahead of the relay's may ask for its own today).
 */
const FIRST_DAY = '2000-01-01'

function dayStart(day: string): number | undefined {
  const match = DAY.exec(day)
  if (match === null) return undefined
  const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return utcDay(start) === day ? start : undefined
}

function ownerUsage(owner: string, totals: UsageTotals | undefined, account: Account | undefined): OwnerUsage {
  const spentUsd = totals?.spentUsd ?? 0
  const reservedUsd = totals?.reservedUsd ?? 0
  const budget = account?.dailyBudgetUsd ?? null
  return {
    owner,
    edits: totals?.edits ?? 0,
    images: totals?.images ?? 0,
    spentUsd,
    reservedUsd,
    dailyBudgetUsd: budget,
    remainingUsd: budget === null ? null : fromMicros(Math.max(0, toMicros(budget) - toMicros(spentUsd) - toMicros(reservedUsd))),
    requestsPerMinute: account?.requestsPerMinute ?? null
  }
}

/**
 * `GET /v1/usage[?day=YYYY-MM-DD]`: the caller's spend that UTC day, its edits and what is left of
 * its budget. An operator sees every owner: each token's, and any owner in that day's ledger that
 * no token names any more.
 */
export async function usageOfAsync(
  caller: Account,
  dayParam: string | undefined,
  deps: { store: RelayStore; accounts: readonly Account[]; now: number }
): Promise<UsageResponse> {
  const day = dayParam ?? utcDay(deps.now)
  const start = dayStart(day)
  if (start === undefined) throw new AppError('invalid_request', 'day must be a UTC date written YYYY-MM-DD, such as 2025-06-30.')
  const lastDay = utcDay(nextUtcMidnight(deps.now))
  if (day < FIRST_DAY || day > lastDay) throw new AppError('invalid_request', `day must be from ${FIRST_DAY} to ${lastDay} (UTC).`)
  const totals = new Map((await deps.store.usageTotalsAsync(day)).map((entry) => [entry.owner, entry]))
  const byOwner = new Map(deps.accounts.map((account) => [account.owner, account]))
  const operator = caller.role === 'operator'
  const owners = operator ? [...new Set([...byOwner.keys(), ...totals.keys()])] : [caller.owner]
  return {
    day,
    resetsAt: new Date(nextUtcMidnight(start)).toISOString(),
    scope: operator ? 'all' : 'own',
    owners: owners.map((owner) => ownerUsage(owner, totals.get(owner), byOwner.get(owner)))
  }
}
