import { cpus } from 'node:os'
import { editDirectRunwareAsync, editThroughRelayAsync, relayClient, runLoadAsync } from './clients'
import { cpuMsOf, ownCpuMs, profileByKind, topFunctions } from './cpu'
import { oneMegapixelReference, startHostAsync, startRelayChildAsync } from './fixtures'
import type { Section } from './report'
import { median, ms, quantile } from './stats'

/** Concurrency, host latency, edits per side (run as alternating blocks). */
const LEVELS = [
  { concurrency: 1, latencyMs: 500, edits: 16, blocks: 4 },
  { concurrency: 16, latencyMs: 500, edits: 64, blocks: 4 },
  { concurrency: 16, latencyMs: 5000, edits: 32, blocks: 2 },
  { concurrency: 256, latencyMs: 500, edits: 256, blocks: 1 }
]
const TARGET_RATIO = 1.02
const TARGET_P99_ADDED_MS = 20
/** Relay CPU per one-megapixel edit on the Runware path (issue: "relay CPU ≤ 10 ms per 1 MP edit"). */
const TARGET_RELAY_CPU_MS = 10

/** What the relay's CPU goes to, by the function (and Node file) each profile sample is in. */
const CPU_KINDS: ReadonlyArray<{ name: string; test: (functionName: string, file: string) => boolean }> = [
  { name: 'Garbage collection', test: (name) => name === '(garbage collector)' },
  {
    name: 'Image checks: inflating the upload, chunk CRCs (relay/images)',
    test: (name, file) => file === 'node:zlib' || file === 'zlib' || /crc32|inflatesToExactly|readPngLayout|inspectImage/.test(name)
  },
  {
    name: 'Disk: the result and the job record written and fsynced, the result read back (relay/store)',
    test: (name, file) =>
      file === 'promises' ||
      /^(open|openFileHandle|close|fsync|fdatasync|mkdir|rename|fstat|writeBuffer|writeString|read|readFileHandle)$/.test(name)
  },
  {
    name: 'Sockets and HTTP: Node’s server and undici (fetch to the host)',
    test: (name, file) =>
      /^(writev|writeUtf8String|writeLatin1String|writeBuffer)$/.test(name) ||
      /^(node:net|net|_http_server|_http_common|_http_outgoing|_http_incoming|undici|stream_base_commons|writable|readable|index\.mjs)$/.test(
        file
      )
  },
  {
    name: 'JSON, text and base64: host bodies and answers, the API’s JSON',
    test: (name) =>
      /^(parse|stringify|parseJson|decode|encode|encodeInto|latin1Slice|base64Slice|base64Write|writeBase64Into|base64ToBytes)$/.test(name)
  }
]

type Side = 'direct' | 'relay'

interface LevelResult {
  concurrency: number
  latencyMs: number
  times: Record<Side, number[]>
  /** CPU ms per edit in each process, per side. */
  cpu: Record<Side, { client: number; relay: number; host: number }>
}

export async function measureRelayOverheadAsync(): Promise<Section> {
  const reference = oneMegapixelReference()
  const host = await startHostAsync(500)
  const relayProcess = await startRelayChildAsync(host.ready.url)
  const relay = relayClient(relayProcess.ready.url)
  const edits: Record<Side, () => Promise<unknown>> = {
    direct: () => editDirectRunwareAsync(host.ready.url, reference),
    relay: () => editThroughRelayAsync(relay, reference, 'runware')
  }
  const results: LevelResult[] = []
  let profile: ReturnType<typeof topFunctions> = { busyMs: 0, rows: [] }
  let byKind: ReturnType<typeof profileByKind> = { busyMs: 0, rows: [] }
  try {
    // Warm both paths (JIT, connection pools) before anything counts.
    for (const side of ['direct', 'relay'] as const) {
      await runLoadAsync(8, 1, edits[side])
      await runLoadAsync(32, 16, edits[side], 500)
    }
    for (const level of LEVELS) {
      await host.askAsync({ type: 'latency', runwareMs: level.latencyMs })
      const result: LevelResult = {
        concurrency: level.concurrency,
        latencyMs: level.latencyMs,
        times: { direct: [], relay: [] },
        cpu: { direct: { client: 0, relay: 0, host: 0 }, relay: { client: 0, relay: 0, host: 0 } }
      }
      const perBlock = level.edits / level.blocks
      for (let block = 0; block < level.blocks; block += 1) {
        // Alternate which side goes first, so drift in the machine's load falls on both.
        for (const side of block % 2 === 0 ? (['direct', 'relay'] as const) : (['relay', 'direct'] as const)) {
          const before = { client: ownCpuMs(), relay: cpuMsOf(relayProcess.pid), host: cpuMsOf(host.pid) }
          result.times[side].push(...(await runLoadAsync(perBlock, level.concurrency, edits[side], level.latencyMs)))
          const cpu = result.cpu[side]
          cpu.client += (ownCpuMs() - before.client) / level.edits
          cpu.relay += (cpuMsOf(relayProcess.pid) - before.relay) / level.edits
          cpu.host += (cpuMsOf(host.pid) - before.host) / level.edits
        }
      }
      results.push(result)
    }
  } finally {
    await relayProcess.stopAsync()
  }

  // Where the relay's CPU goes: a V8 profile of a fresh relay through 64 edits at 16 concurrent.
  try {
    await host.askAsync({ type: 'latency', runwareMs: 500 })
    const profiled = await startRelayChildAsync(host.ready.url, { cpuProfile: true })
    try {
      const client = relayClient(profiled.ready.url)
      await runLoadAsync(64, 16, () => editThroughRelayAsync(client, reference, 'runware'), 500)
      await profiled.stopAsync({ keepFiles: true })
      profile = topFunctions(profiled.dir, 8)
      byKind = profileByKind(profiled.dir, CPU_KINDS)
    } finally {
      await profiled.stopAsync()
    }
  } finally {
    await host.stopAsync()
  }

  const ratio = (result: LevelResult) => median(result.times.relay) / median(result.times.direct)
  const added = (result: LevelResult, q: number) => quantile(result.times.relay, q) - quantile(result.times.direct, q)
  const label = (result: LevelResult) => `${result.concurrency}${result.latencyMs === 500 ? '' : ` (host ${result.latencyMs / 1000} s)`}`
  const target = results.find((result) => result.concurrency === 16 && result.latencyMs === 500)!
  const one = results.find((result) => result.concurrency === 1)!
  const slow = results.find((result) => result.latencyMs === 5000)!
  const relayCpu = (result: LevelResult) => result.cpu.relay.relay
  return {
    title: 'Relay overhead',
    method:
      `A host with a fixed latency (bench/fixed-latency-host.ts, speaking Runware's synchronous API, in its own process, answering a precomputed ${(host.ready.resultBytes / 1e6).toFixed(2)} MB one-megapixel PNG as base64 in its JSON) is called directly (one POST with the reference as base64 in the JSON: exactly what the relay's adapter sends) and through the real relay (dist/relay.mjs in its own process; the panel's relay client: multipart upload, long-poll, image download). ` +
      `The reference is the plugin's real export of a 1440×900 frame (${reference.width}×${reference.height}, ${(reference.bytes.byteLength / 1e6).toFixed(2)} MB) of a representative design. Each edit is timed from the first byte sent to the last result byte in hand; added = relay quantile − direct quantile. Both sides run in alternating blocks at each load; the concurrent clients start spread over one host latency (as independent designers do), then each starts its next edit as soon as the last one ends. CPU per edit is read from /proc for the relay and the host, and from the load generator itself.`,
    tables: [
      {
        headers: [
          'Concurrent edits',
          'Edits per side',
          'Direct median ms',
          'Direct p99 ms',
          'Relay median ms',
          'Relay p99 ms',
          'Added median ms',
          'Added p99 ms',
          'Ratio (medians)'
        ],
        rows: results.map((result) => [
          label(result),
          `${result.times.direct.length}`,
          ms(median(result.times.direct)),
          ms(quantile(result.times.direct, 0.99)),
          ms(median(result.times.relay)),
          ms(quantile(result.times.relay, 0.99)),
          ms(added(result, 0.5)),
          ms(added(result, 0.99)),
          ratio(result).toFixed(3)
        ])
      },
      {
        caption: 'CPU per edit (ms), by process: its CPU time during the blocks ÷ edits, background work included:',
        headers: ['Concurrent edits', 'Direct: client', 'Direct: host', 'Relay: client', 'Relay: relay', 'Relay: host'],
        rows: results.map((result) => [
          label(result),
          ms(result.cpu.direct.client),
          ms(result.cpu.direct.host),
          ms(result.cpu.relay.client),
          ms(result.cpu.relay.relay),
          ms(result.cpu.relay.host)
        ])
      },
      ...(profile.rows.length === 0
        ? []
        : [
            {
              caption: `The same profile by kind of work (ms of CPU per edit):`,
              headers: ['Work', 'ms per edit', 'Share'],
              rows: byKind.rows.map((row) => [row.name, ms(row.ms / 64), `${(row.share * 100).toFixed(0)} %`])
            },
            {
              caption: `Where the relay's CPU goes (V8 profile of the relay, 64 edits at 16 concurrent, ${ms(profile.busyMs / 64)} ms busy per edit; self time):`,
              headers: ['Function (file)', 'ms per edit', 'Share'],
              rows: profile.rows.map((row) => [row.name, ms(row.ms / 64), `${(row.share * 100).toFixed(0)} %`])
            }
          ])
    ],
    targets: [
      {
        name: 'ratio at 16 concurrent (host 0.5 s)',
        target: `≤ ${TARGET_RATIO}`,
        measured: ratio(target).toFixed(3),
        pass: ratio(target) <= TARGET_RATIO
      },
      {
        name: 'p99 added at 16 concurrent (host 0.5 s)',
        target: `≤ ${TARGET_P99_ADDED_MS} ms`,
        measured: `${ms(added(target, 0.99))} ms`,
        pass: added(target, 0.99) <= TARGET_P99_ADDED_MS
      },
      {
        name: 'relay CPU per 1 MP edit, Runware path, 16 concurrent (host 0.5 s)',
        target: `≤ ${TARGET_RELAY_CPU_MS} ms`,
        measured: `${ms(relayCpu(target))} ms`,
        pass: relayCpu(target) <= TARGET_RELAY_CPU_MS
      }
    ],
    notes: [
      `One edit alone, the relay adds ${ms(added(one, 0.5))} ms at the median (ratio ${ratio(one).toFixed(3)}): reading and checking the upload, writing the host's JSON, decoding its answer, keeping the result, waking the long-poll and serving the download. The relay spends ${ms(relayCpu(one))} ms of CPU an edit at that pace (${ms(relayCpu(target))} ms at 16 concurrent).`,
      `Why the 0.5 s targets fail: a ratio of ${TARGET_RATIO} against a 0.5 s host allows ${ms((TARGET_RATIO - 1) * 500)} ms an edit, less than the relay's own CPU per edit for a one-megapixel reference; and 16 concurrent edits at 0.5 s each are ${Math.round(16 / 0.5)} edits a second, ${((32 * relayCpu(target)) / 1000).toFixed(1)} cores of relay work on a ${cpus().length}-core machine that also runs the load generator and the host, so edits queue for a core and the p99 follows the machine's load (see the load average). At the pace of a real Kontext [max] edit (the "host 5 s" row: 16 concurrent, a tenth of the rate) the relay adds ${ms(added(slow, 0.5))} ms at the median, ratio ${ratio(slow).toFixed(3)}${ratio(slow) <= TARGET_RATIO ? ', within the target' : ''}.`,
      "Already done for CPU: the host's JSON body is built as bytes around the reference's base64 (relay/providers/runware/build-runware-body.ts); a token costs one synchronous SHA-256 and a map lookup whatever the number of accounts (relay/auth/token-index.ts); result chunk CRCs use zlib's native crc32. Tried and taken out again: lifting the result's base64 out of Runware's answer as bytes before parsing the rest was faster alone (2.4 against 4.2 ms) but cost the relay ~9 ms more CPU an edit under this load (35 → 44 ms), the megabyte buffers it kept in place of strings bringing more garbage collection.",
      `Why ${TARGET_RELAY_CPU_MS} ms is out of reach without giving something up (the table by kind above): the relay inflates every uploaded PNG to check it holds the pixels it claims before a host is paid for it (docs/relay-api.md, \`POST /v1/edits\`), writes every paid result to disk with fsync before it says "succeeded" so a crash never loses one, and moves ~5 MB an edit through Node's sockets (the upload, the host's body and answer, the download); garbage collection follows those megabytes. What would pass it: a reference-checking mode that only reads PNG chunk structure (cheaper, but a truncated IDAT would reach the host), the memory store (no durability), and on Runware a URL answer (outputType URL) downloaded as bytes instead of base64 in JSON.`
    ]
  }
}
