/**
 * `npm run bench`: everything Kontext Edit adds to an edit, measured side by side with what it is
 * added to, on this machine. Prints each table and writes docs/benchmarks.md. Each section is in
 * its own file, named for what it measures.
 *
 * `npm run bench -- --only=polling,client` runs some sections and writes
 * test-output/benchmarks-partial.md instead. BENCH_POLLING_HOSTS=fal,bfl and BENCH_POLLING_JOBS=4
 * narrow the polling section; BENCH_DEBUG_MARKS=1 and BENCH_DEBUG_CALLS=1 print the client path's
 * marks and the polling section's host calls.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { CHROMIUM_PATH } from '../test/browser/launch-chromium-async'
import { measureAreaCompositeAsync } from './area-composite'
import { measureBundleSizeAsync } from './bundle-size'
import { measureClientPathAsync } from './client-path'
import { measureFalProxyAsync } from './against-fal-proxy'
import { measureBytesOnTheWireAsync } from './bytes-on-the-wire'
import { measureMemoryAsync } from './memory'
import { measureMutationScoreAsync } from './mutation-score'
import { measurePollingDelayAsync } from './polling-delay'
import { measureReferenceSizingAsync } from './reference-sizing'
import { measureWorkerCpuAsync } from './worker-cpu'
import { measureRelayOverheadAsync } from './relay-overhead'
import { loadStats } from './clients'
import { describeMachine, printSection, renderMarkdown, type Section } from './report'

const SECTIONS: Array<{ id: string; run: () => Promise<Section> }> = [
  { id: 'overhead', run: measureRelayOverheadAsync },
  { id: 'worker', run: measureWorkerCpuAsync },
  { id: 'bytes', run: measureBytesOnTheWireAsync },
  { id: 'sizing', run: measureReferenceSizingAsync },
  { id: 'polling', run: measurePollingDelayAsync },
  { id: 'memory', run: measureMemoryAsync },
  { id: 'peer', run: measureFalProxyAsync },
  { id: 'client', run: measureClientPathAsync },
  { id: 'bundles', run: measureBundleSizeAsync },
  { id: 'area', run: measureAreaCompositeAsync },
  { id: 'mutation', run: measureMutationScoreAsync }
]

const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
const started = new Date()
const t0 = performance.now()
const machine = describeMachine(CHROMIUM_PATH)
process.stdout.write(
  `Kontext Edit benchmarks: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}; load ${machine.loadBefore.map((value) => value.toFixed(2)).join(' ')}\n`
)

const sections: Section[] = []
for (const section of SECTIONS) {
  if (only !== undefined && !only.includes(section.id)) continue
  process.stdout.write(`\n… ${section.id}\n`)
  const start = performance.now()
  const loadAtStart = loadavg()[0]!
  const result = await section.run()
  result.seconds = (performance.now() - start) / 1000
  result.load = [loadAtStart, loadavg()[0]!]
  printSection(result)
  sections.push(result)
}

if (loadStats.retried > 0)
  process.stdout.write(
    `\n${loadStats.retried} edits were run again after a connection error (a kept-alive connection closed by the server as it was reused).\n`
  )
const seconds = (performance.now() - t0) / 1000
const path = only === undefined ? 'docs/benchmarks.md' : 'test-output/benchmarks-partial.md'
writeFileSync(path, renderMarkdown(machine, sections, started, seconds, loadStats.retried))
process.stdout.write(`\nWrote ${path} in ${seconds.toFixed(0)} s.\n`)
process.exit(0)
