import { memoryOf, resetPeakMemory, sampleMemory, type Child } from './children'
import { runLoadAsync } from './clients'

export interface WaveMemory {
  /** RSS after a forced GC, before the wave. */
  baseline: number
  /** Highest RSS during the wave (sampled every 20 ms, and the kernel's high-water mark). */
  peak: number
  /** RSS after the wave and a forced GC: what stays (the relay keeps each result for an hour). */
  after: number
  latencies: number[]
}

const settleAsync = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One wave of `concurrency` edits at once, with the child's resident memory watched from outside it. */
export async function measureWaveAsync(child: Child<unknown>, concurrency: number, edit: () => Promise<unknown>): Promise<WaveMemory> {
  await child.askAsync({ type: 'gc' })
  await settleAsync(300)
  const baseline = memoryOf(child.pid).rss
  const resetWorked = resetPeakMemory(child.pid)
  const sampler = sampleMemory(child.pid, 20)
  const latencies = await runLoadAsync(concurrency, concurrency, edit)
  const sampled = sampler.stop().peakRss
  const peak = Math.max(sampled, resetWorked ? memoryOf(child.pid).peak : 0)
  await child.askAsync({ type: 'gc' })
  await settleAsync(300)
  return { baseline, peak, after: memoryOf(child.pid).rss, latencies }
}
