import { fitsBudget } from '../usage/fits-budget'
import { settled } from '../usage/settled'
import { totalsOf } from '../usage/totals-of'
import type { LedgerDays } from './ledger-days'
import type { RelayStore } from './relay-store'

/** The file store's usage ledger methods. */
export type FileUsage = Pick<RelayStore, 'reserveUsageAsync' | 'settleUsageAsync' | 'usageEntriesAsync' | 'usageTotalsAsync'>

/** Each change is in memory and appended to its day's file before it resolves; a failed append is undone. */
export function createFileUsage(ledger: LedgerDays, assertOpen: () => void): FileUsage {
  return {
    async reserveUsageAsync(entry, dailyBudgetUsd) {
      assertOpen()
      return ledger.withDayAsync(entry.day, async (day) => {
        // Check and insert in one synchronous step: nothing can interleave between them.
        const fits = fitsBudget(day.entries.values(), entry, dailyBudgetUsd)
        if (!fits.ok) return fits
        day.entries.set(entry.jobId, entry)
        try {
          await day.log.appendAsync([entry])
        } catch (error) {
          if (day.entries.get(entry.jobId) === entry) day.entries.delete(entry.jobId)
          throw error
        }
        return fits
      })
    },
    async settleUsageAsync(dayName, jobId, settlement) {
      assertOpen()
      // Nothing to settle on a day with no ledger file; opening it would create one.
      if (!(await ledger.hasDayAsync(dayName))) return false
      return ledger.withDayAsync(dayName, async (day) => {
        const entry = day.entries.get(jobId)
        if (entry === undefined || entry.outcome !== 'pending') return false
        const next = settled(entry, settlement)
        day.entries.set(jobId, next)
        try {
          await day.log.appendAsync([next])
        } catch (error) {
          if (day.entries.get(jobId) === next) day.entries.set(jobId, entry)
          throw error
        }
        return true
      })
    },
    async usageEntriesAsync(day, owner) {
      assertOpen()
      return ledger.readDayAsync(day, (entries) => [...entries.values()].filter((entry) => owner === undefined || entry.owner === owner))
    },
    async usageTotalsAsync(day) {
      assertOpen()
      return ledger.readDayAsync(day, (entries) => totalsOf(entries.values()))
    }
  }
}
