/**
 * Runs `work` over `items`, at most `limit` at a time, and waits for all of them; one item's
 * failure does not stop the others (each reports its own outcome).
 */
export async function mapWithConcurrencyAsync<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>
): Promise<void> {
  let next = 0
  const laneAsync = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      await work(items[index]!, index).catch(() => undefined)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, laneAsync))
}
