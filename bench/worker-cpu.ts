import { existsSync } from 'node:fs'
import { startWorkerAsync, WORKER_BUNDLE } from '../test/worker/start-worker-async'
import { BENCH_TOKEN, editThroughRelayAsync, HOST_KEY, relayClient, runLoadAsync } from './clients'
import { cpuMsOf } from './cpu'
import { oneMegapixelReference, startHostAsync } from './fixtures'
import type { Section } from './report'
import { median, ms } from './stats'

/** The same target as the Node relay's row (bench/relay-overhead.ts). */
const TARGET_RELAY_CPU_MS = 10
const EDITS = 64
const CONCURRENCY = 16

/**
 * The relay as Cloudflare runs it: dist/worker.mjs in workerd (the runtime Workers run on, from the
 * `workerd` npm package), its Durable Object on disk, against the fixed-latency Runware host.
 * CPU per edit is workerd's whole process (every thread) over the edits, read from /proc.
 */
export async function measureWorkerCpuAsync(): Promise<Section> {
  const title = 'Relay CPU in workerd'
  const targetName = `relay CPU per 1 MP edit in workerd, Runware path, ${CONCURRENCY} concurrent (host 0.5 s)`
  if (!existsSync(WORKER_BUNDLE)) {
    return { title, method: 'Needs dist/worker.mjs (npm run build).', tables: [], targets: [], notes: [] }
  }
  const reference = oneMegapixelReference()
  const host = await startHostAsync(500)
  const worker = await startWorkerAsync({
    bindings: {
      RUNWARE_API_KEY: HOST_KEY,
      RUNWARE_API_URL: `${host.ready.url}/v1`,
      DEFAULT_PROVIDER: 'runware',
      RELAY_TOKENS_JSON: JSON.stringify({
        tokens: [{ token: BENCH_TOKEN, owner: 'bench', dailyBudgetUsd: null, requestsPerMinute: 10_000, maxRunningEdits: 1000 }]
      }),
      RELAY_MAX_RUNNING_EDITS: '1000'
    }
  })
  try {
    const client = relayClient(worker.url)
    const edit = () => editThroughRelayAsync(client, reference, 'runware')
    await runLoadAsync(16, 4, edit)
    const before = cpuMsOf(worker.pid)
    const times = await runLoadAsync(EDITS, CONCURRENCY, edit, 500)
    const cpu = (cpuMsOf(worker.pid) - before) / EDITS
    return {
      title,
      method: `dist/worker.mjs in workerd (its Durable Object storage on disk), the panel's relay client, the fixed-latency Runware host (0.5 s) in its own process. ${EDITS} edits at ${CONCURRENCY} concurrent after 16 to warm up; CPU is workerd's, every thread, from /proc, ÷ edits.`,
      tables: [
        {
          headers: ['Edits', 'Median ms', 'workerd CPU per edit (ms)'],
          rows: [[`${EDITS}`, ms(median(times)), ms(cpu)]]
        }
      ],
      targets: [{ name: targetName, target: `≤ ${TARGET_RELAY_CPU_MS} ms`, measured: `${ms(cpu)} ms`, pass: cpu <= TARGET_RELAY_CPU_MS }],
      notes: [
        "On Workers the image check uses the portable crc32 and DecompressionStream (no node:zlib), and the relay's state lives in a Durable Object: each edit's job and result go through its storage. workerd here also does what Cloudflare's edge does outside the billed CPU time (TLS, HTTP parsing), so this is an upper bound on a Worker's billed CPU."
      ]
    }
  } finally {
    await worker.close()
    await host.stopAsync()
  }
}
