/**
 * A bounded load test on 127.0.0.1: 500 edits started at once against the relay, which runs as
 * `npm start` does (relay/node.ts bundled, in its own process, file store, a tokens file whose
 * token may start 10,000 edits a minute), in front of the fake Runware with a fixed latency. Every
 * edit is followed to its end and its image downloaded. Figures: errors (0) and the relay process's
 * peak resident memory, read from the kernel (/proc/<pid>/status VmHWM) when the run ends, with
 * VmRSS sampled every 100 ms beside it. Bounded: 500 edits, each request with its own deadline.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnRelayProcessAsync } from '../support/spawn-relay-process-async'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EditJob, TERMINAL_STATUSES } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { recordLogLine, recordResponse, registerAccessToken, registerHostKey } from '../support/leak-sink'

const EDITS = 500
const HOST_LATENCY_MS = 300
/** A bound, not a timing: far above what the relay needs for 500 small edits. */
const MAX_PEAK_RSS_MB = 768
const OUT_DIR = join('test-output', 'campaign')
const BUNDLE = join(OUT_DIR, `relay-load-${randomUUID()}.mjs`)
const TOKEN = `load-${randomUUID().replace(/-/g, '')}`
const REFERENCE = makePng(64, 36, 11)

let runware: FakeRunware
let workDir: string
let child: ChildProcess | undefined
let lines: string[] = []

function kibOf(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  }
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
  runware = await startFakeRunwareAsync({ apiKey: `rw-load-${randomUUID()}`, latencyMs: HOST_LATENCY_MS })
  registerHostKey(runware.apiKey)
  registerAccessToken(TOKEN)
  workDir = mkdtempSync(join(tmpdir(), 'kontext-load-'))
  writeFileSync(
    join(workDir, 'tokens.json'),
    JSON.stringify({ tokens: [{ token: TOKEN, owner: 'load', dailyBudgetUsd: null, requestsPerMinute: 10_000, maxRunningEdits: EDITS }] })
  )
}, 60_000)

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  for (const line of lines) recordLogLine(line)
  await runware?.close()
  rmSync(BUNDLE, { force: true })
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

async function startRelayAsync(): Promise<string> {
  const relay = await spawnRelayProcessAsync({
    bundle: BUNDLE,
    cwd: workDir,
    env: {
      RELAY_TOKENS_FILE: join(workDir, 'tokens.json'),
      RELAY_DATA_DIR: join(workDir, 'data'),
      RUNWARE_API_KEY: runware.apiKey,
      RUNWARE_API_URL: runware.url,
      SHUTDOWN_GRACE_SECONDS: '0',
      // All 500 edits run at once here: the running-edit caps are lifted to measure the relay under that load.
      RELAY_MAX_RUNNING_EDITS: String(EDITS),
      // The fake encodes a real ~1 MP PNG for every result on the test's own event loop: 500 of them
      // take it tens of seconds of CPU on two cores, so the host deadline is the default's.
      PROVIDER_TIMEOUT_SECONDS: '180'
    }
  })
  child = relay.child
  lines = relay.lines
  return relay.url
}

describe('load', () => {
  it(`runs ${EDITS} concurrent edits against a host with ${HOST_LATENCY_MS} ms latency: 0 errors, peak memory bounded`, async () => {
    const url = await startRelayAsync()
    const pid = child!.pid!
    let sampledPeakKib = kibOf(pid, 'VmRSS') ?? 0
    const sampler = setInterval(() => (sampledPeakKib = Math.max(sampledPeakKib, kibOf(pid, 'VmRSS') ?? 0)), 100)
    const auth = { authorization: `Bearer ${TOKEN}` }
    const errors: string[] = []
    const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
      const response = await fetch(`${url}${path}`, { ...init, headers: auth, signal: AbortSignal.timeout(200_000) })
      recordResponse(response)
      return response
    }

    const oneEditAsync = async (index: number): Promise<void> => {
      try {
        const form = new FormData()
        form.append('request', JSON.stringify({ prompt: `Load edit ${index}: make the sky purple`, seed: index }))
        form.append('image', new Blob([new Uint8Array(REFERENCE)], { type: 'image/png' }), 'frame.png')
        const created = await request('/v1/edits', { method: 'POST', body: form })
        if (created.status !== 202) return void errors.push(`edit ${index}: POST answered ${created.status} ${await created.text()}`)
        const { id } = (await created.json()) as { id: string }
        let job: EditJob | undefined
        for (let poll = 0; poll < 15 && (job === undefined || !TERMINAL_STATUSES.includes(job.status)); poll += 1) {
          const answer = await request(`/v1/edits/${id}?wait=20`)
          if (answer.status !== 200) return void errors.push(`edit ${index}: GET answered ${answer.status}`)
          job = EditJob.parse(await answer.json())
        }
        if (job?.status !== 'succeeded') return void errors.push(`edit ${index}: ended ${job?.status} ${JSON.stringify(job?.error)}`)
        const image = await request(`/v1/edits/${id}/images/0`)
        const bytes = new Uint8Array(await image.arrayBuffer())
        if (image.status !== 200 || bytes.length === 0)
          errors.push(`edit ${index}: image answered ${image.status} with ${bytes.length} bytes`)
      } catch (error) {
        errors.push(`edit ${index}: ${String(error)}`)
      }
    }

    try {
      await Promise.all(Array.from({ length: EDITS }, (_, index) => oneEditAsync(index)))
    } finally {
      clearInterval(sampler)
    }
    const peakKib = kibOf(pid, 'VmHWM')
    const peakMb = Math.round((peakKib ?? sampledPeakKib) / 1024)
    console.log(
      `load: ${EDITS} concurrent edits (fake Runware, ${HOST_LATENCY_MS} ms latency, relay in its own process with the file store): ${errors.length} errors, ${runware.accepted.length} host submissions (${runware.requests.length} requests received), ${runware.duplicateSubmissions} duplicates; relay peak RSS ${peakMb} MB (kernel VmHWM of the relay process; highest 100 ms VmRSS sample ${Math.round(sampledPeakKib / 1024)} MB)`
    )
    if (errors.length > 0) {
      console.log(errors.slice(0, 10).join('\n'))
      writeFileSync(join(OUT_DIR, 'load-relay.log'), lines.join('\n'))
    }
    expect(errors).toEqual([])
    expect(runware.accepted.length).toBe(EDITS)
    expect(runware.duplicateSubmissions).toBe(0)
    expect(peakKib).toBeDefined()
    expect(peakMb).toBeLessThan(MAX_PEAK_RSS_MB)
  }, 300_000)
})
