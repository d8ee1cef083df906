import { useEffect, useState } from 'preact/hooks'

/** The clock's time, refreshed every `intervalMs` (not at all while undefined), for elapsed and relative times. */
export function useNow(now: () => number, intervalMs: number | undefined): number {
  const [value, setValue] = useState(now)
  useEffect(() => {
    if (intervalMs === undefined) return
    const timer = setInterval(() => setValue(now()), intervalMs)
    return () => clearInterval(timer)
  }, [now, intervalMs])
  return value
}
