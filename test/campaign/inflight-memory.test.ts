/**
 * Finding: 16 edits with two 19.8 MB references took the relay from 347 MB to 4.4 GB. The caps
 * bound how many bytes are in flight; this measures what each in-flight edit costs, at several
 * reference sizes up to the largest a reference may be (2048×2048, the Kontext pixel cap), so the
 * cap in megabytes can be turned into a bound on memory.
 *
 * The relay runs as `npm start` does (relay/node.ts bundled, its own process) in front of the fake
 * Runware on 127.0.0.1, with async delivery and a task latency far longer than the test, so every
 * edit is submitted and then held while the relay polls. Per size: baseline RSS after one warm-up
 * edit, then N edits at once with a noise PNG reference of S bytes (noise, so bytes ≈ 4 × pixels as
 * a photo's would be); RSS is read from /proc/<pid>/status (VmRSS, sampled every 50 ms) until all N
 * reached the host and for a second after. Printed: the growth per edit against its image bytes,
 * at the peak, as RSS once garbage is collected, and as live JS memory (heap + buffers).
 *
 * The target, asserted, is at most 3× per edit in flight on what the relay holds once garbage is
 * collected: live heap + buffers. RSS after GC is printed beside it but not asserted: whether the
 * allocator hands freed pages back to the kernel is not the relay's to decide, and in one run it
 * kept them all (RSS after GC equal to the peak, 5.96× at 1 MP, while live was 1.04×). Measured on Node 20 (2
 * shared cores). Before: peak 7.1–7.9×, RSS after GC 3.1–5.3×: the Runware adapter kept its task
 * with the reference as a base64 data URI string (1.33×) for the whole run and sent
 * `JSON.stringify` of it (another 1.33× string, then fetch's UTF-8 copy), and the upload's 64 KiB
 * chunks were held until every part was read, then joined into a copy. Now the adapter writes the
 * body as bytes straight from the reference (relay/providers/runware/build-runware-body.ts, `buildRunwareBody`) and
 * drops it once Runware has the task, and the upload is copied as it arrives into one buffer of
 * its declared length whose views are the images (relay/http/parse-edit-form-async.ts). Over four
 * runs: peak 4.3–5.2×, RSS after GC 1.9–2.7× at 0.5 MP, 1.4–1.8× at 1 MP, 1.2–1.4× at 4.2 MP; live
 * heap + buffers 1.01–1.10×: what an edit holds is its reference (the jobs layer keeps it for the
 * run). RSS stays above live because the allocator keeps pages freed after the peak (transients:
 * the socket's chunks, the body and fetch's copy of it), most visibly for small references. Live
 * is read after a second GC 200 ms after the first, once V8 has freed the buffers the first one
 * swept (read at once, it counted them: the 4.3–5.0× "live" figures of earlier runs). No timing
 * is asserted. Bounded: three sizes, at most 12 edits each.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnRelayProcessAsync } from '../support/spawn-relay-process-async'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { makePng } from '../fakes/make-image'
import { recordLogLine, recordResponse, registerAccessToken, registerHostKey } from '../support/leak-sink'

const OUT_DIR = join('test-output', 'campaign')
const BUNDLE = join(OUT_DIR, `relay-inflight-${randomUUID()}.mjs`)
const TOKEN = `inflight-${randomUUID().replace(/-/g, '')}`
/** The target (see the header for what is measured). */
const HELD_RATIO_BOUND = 3
/** Bytes of references in flight per size: enough to stand well above the noise of a Node heap. */
const TARGET_BYTES = 96 * 1024 * 1024
const MAX_EDITS = 12
const MB = 1024 * 1024
/** Test instrumentation only: the relay itself never calls gc. */
const GC_ON_SIGNAL = `data:text/javascript,${encodeURIComponent(
  "process.on('SIGUSR2', () => { globalThis.gc(); setTimeout(() => { globalThis.gc(); const m = process.memoryUsage(); process.stdout.write('live-memory ' + (m.heapUsed + m.external) + '\\n') }, 200) })"
)}`

let runware: FakeRunware
let workDir: string
let child: ChildProcess | undefined
/** heapUsed + external (ArrayBuffers included) after each GC the test asked for, in bytes. */
const liveReadings: number[] = []

/** Collects garbage in the relay and answers [RSS in KiB, live JS memory in bytes]. */
async function collectAsync(pid: number): Promise<[number, number]> {
  const before = liveReadings.length
  child!.kill('SIGUSR2')
  await untilAsync(() => liveReadings.length > before, 'the relay to collect garbage')
  await new Promise((resolve) => setTimeout(resolve, 500))
  return [rssKib(pid), liveReadings.at(-1)!]
}
let lines: string[] = []

function noisePng(width: number, height: number, seed: number): Uint8Array {
  const png = new PNG({ width, height })
  let state = seed >>> 0
  for (let index = 0; index < png.data.length; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    png.data[index] = index % 4 === 3 ? 255 : state >>> 24
  }
  return new Uint8Array(PNG.sync.write(png, { deflateLevel: 1 }))
}

function rssKib(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match === null ? 0 : Number(match[1])
}

beforeAll(async () => {
  mkdirSync(OUT_DIR, { recursive: true })
  await esbuild.build({
    entryPoints: ['relay/node.ts'],
    outfile: BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent'
  })
  runware = await startFakeRunwareAsync({ apiKey: `rw-inflight-${randomUUID()}`, latencyMs: 120_000 })
  registerHostKey(runware.apiKey)
  registerAccessToken(TOKEN)
  workDir = mkdtempSync(join(tmpdir(), 'kontext-inflight-'))
  writeFileSync(
    join(workDir, 'tokens.json'),
    JSON.stringify({ tokens: [{ token: TOKEN, owner: 'inflight', dailyBudgetUsd: null, requestsPerMinute: 10_000, maxRunningEdits: 100 }] })
  )
}, 60_000)

async function stopRelayAsync(): Promise<void> {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  child = undefined
}

afterAll(async () => {
  await stopRelayAsync()
  for (const line of lines) recordLogLine(line)
  await runware?.close()
  rmSync(BUNDLE, { force: true })
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

async function startRelayAsync(): Promise<string> {
  // --expose-gc and a SIGUSR2 handler let the test collect garbage (twice, see the header) before reading what is held.
  const relay = await spawnRelayProcessAsync({
    bundle: BUNDLE,
    cwd: workDir,
    nodeArgs: ['--expose-gc', '--import', GC_ON_SIGNAL],
    env: {
      RELAY_TOKENS_FILE: join(workDir, 'tokens.json'),
      RELAY_DATA_DIR: join(workDir, `data-${randomUUID()}`),
      RUNWARE_API_KEY: runware.apiKey,
      RUNWARE_API_URL: runware.url,
      RUNWARE_DELIVERY: 'async',
      SHUTDOWN_GRACE_SECONDS: '0',
      PROVIDER_TIMEOUT_SECONDS: '300',
      RELAY_MAX_RUNNING_EDITS: '100',
      RELAY_MAX_INFLIGHT_MB: '4096'
    },
    onLine: (line) => {
      const live = /^live-memory (\d+)$/.exec(line)
      if (live !== null) liveReadings.push(Number(live[1]))
      return live !== null
    }
  })
  child = relay.child
  lines = relay.lines
  return relay.url
}

async function postEditAsync(url: string, reference: Uint8Array, index: number): Promise<number> {
  const form = new FormData()
  form.append('request', JSON.stringify({ prompt: `In flight ${index}: make the sky purple` }))
  form.append('image', new Blob([new Uint8Array(reference)], { type: 'image/png' }), 'frame.png')
  const response = await fetch(`${url}/v1/edits`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(120_000)
  })
  recordResponse(response)
  await response.arrayBuffer()
  return response.status
}

async function untilAsync(condition: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 1200 && !condition(); round += 1) await new Promise((resolve) => setTimeout(resolve, 50))
  if (!condition()) throw new Error(`timed out waiting for ${what}`)
}

describe('inflight-memory: what one edit in flight costs the relay', () => {
  it.each([
    ['0.5 MP', 724, 724],
    ['1 MP', 1024, 1024],
    ['4.2 MP (the Kontext cap)', 2048, 2048]
  ])(
    'a %s reference: what the relay holds per edit in flight, against its image bytes',
    async (name, width, height) => {
      const reference = noisePng(width, height, width)
      const edits = Math.min(MAX_EDITS, Math.max(2, Math.floor(TARGET_BYTES / reference.length)))
      const url = await startRelayAsync()
      const pid = child!.pid!
      try {
        expect(await postEditAsync(url, makePng(64, 36, 1), 0)).toBe(202)
        const submittedBefore = runware.accepted.length
        await untilAsync(() => runware.accepted.length === submittedBefore, 'the warm-up edit')
        const [baseline, liveBaseline] = await collectAsync(pid)
        let peak = baseline
        const sampler = setInterval(() => (peak = Math.max(peak, rssKib(pid))), 50)
        const statuses = await Promise.all(Array.from({ length: edits }, (_, index) => postEditAsync(url, reference, index + 1)))
        await untilAsync(() => runware.accepted.length >= submittedBefore + edits, `${edits} submissions`)
        await new Promise((resolve) => setTimeout(resolve, 500))
        clearInterval(sampler)
        peak = Math.max(peak, rssKib(pid))
        // What the edits keep while they wait at the host: their garbage (upload buffers, request bodies) collected.
        const [held, liveHeld] = await collectAsync(pid)
        const imageBytes = edits * reference.length
        const peakRatio = ((peak - baseline) * 1024) / imageBytes
        const heldRatio = ((held - baseline) * 1024) / imageBytes
        const liveRatio = (liveHeld - liveBaseline) / imageBytes
        console.log(
          `inflight-memory: ${name}, ${edits} edits × ${(reference.length / MB).toFixed(1)} MB: baseline ${Math.round(baseline / 1024)} MB; peak +${Math.round((peak - baseline) / 1024)} MB (${peakRatio.toFixed(2)}× the image bytes); RSS after GC +${Math.round((held - baseline) / 1024)} MB (${heldRatio.toFixed(2)}×); live heap + buffers +${Math.round((liveHeld - liveBaseline) / MB)} MB (${liveRatio.toFixed(2)}×)`
        )
        expect(statuses).toEqual(Array.from({ length: edits }, () => 202))
        expect(liveRatio).toBeLessThanOrEqual(HELD_RATIO_BOUND)
      } finally {
        await stopRelayAsync()
      }
    },
    180_000
  )
})
