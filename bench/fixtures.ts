import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { referenceExportSettings } from '../plugin/export/reference-export-settings'
import { KONTEXT_REFERENCE } from '../shared/reference-target'
import { HERE, startChildAsync, type Child } from './children'
import { BENCH_TOKEN, HOST_KEY, type Reference } from './clients'
import { designPng } from './representative-image'

let reference: Reference | undefined

/** The reference the plugin uploads for a 1440×900 frame: the real sizing rule, a representative design, real PNG bytes (~1 MP). */
export function oneMegapixelReference(): Reference {
  if (reference === undefined) {
    const { pixelWidth, pixelHeight } = referenceExportSettings(1440, 900, KONTEXT_REFERENCE)
    reference = { bytes: designPng(pixelWidth, pixelHeight), width: pixelWidth, height: pixelHeight }
  }
  return reference
}

export interface HostReady {
  url: string
  resultBytes: number
  resultWidth: number
  resultHeight: number
}

export function startHostAsync(runwareLatencyMs = 500, falLatencyMs = 450): Promise<Child<HostReady>> {
  return startChildAsync<HostReady>('host-process', {
    BENCH_RUNWARE_LATENCY_MS: String(runwareLatencyMs),
    BENCH_FAL_LATENCY_MS: String(falLatencyMs)
  })
}

/**
 * The real relay as `npm start` runs it (dist/relay.mjs, its Node entry), in its own process and its
 * own empty working folder (no .env, a fresh data folder), with the fixed-latency host behind it as
 * both Runware and fal. bench/relay-preload.ts reports its port and counts its sockets' bytes.
 */
export interface RelayChild extends Omit<Child<{ url: string }>, 'stopAsync'> {
  /** Its working folder (data, and the CPU profile when asked for). */
  dir: string
  /** Stops it and deletes its folder, unless keepFiles. */
  stopAsync(options?: { keepFiles?: boolean }): Promise<void>
}

export async function startRelayChildAsync(hostUrl: string, options: { cpuProfile?: boolean } = {}): Promise<RelayChild> {
  const cwd = mkdtempSync(join(tmpdir(), 'kontext-bench-relay-'))
  // One token for the whole load, allowed the most edits a minute the relay takes (plain RELAY_TOKENS get 30),
  // and every edit of the 256-concurrent load running at once: the bench measures the relay's overhead, not its caps.
  const tokensFile = join(cwd, 'tokens.json')
  writeFileSync(
    tokensFile,
    JSON.stringify({
      tokens: [{ token: BENCH_TOKEN, owner: 'bench', dailyBudgetUsd: null, requestsPerMinute: 10_000, maxRunningEdits: 1000 }]
    })
  )
  const child = await startChildAsync<{ url: string }>(
    'relay',
    {
      PORT: '0',
      HOST: '127.0.0.1',
      RELAY_TOKENS_FILE: tokensFile,
      RELAY_MAX_RUNNING_EDITS: '1000',
      RELAY_MAX_INFLIGHT_MB: '8192',
      RUNWARE_API_KEY: HOST_KEY,
      RUNWARE_API_URL: `${hostUrl}/v1`,
      FAL_KEY: HOST_KEY,
      FAL_QUEUE_URL: hostUrl,
      // References over 1 MB go through fal's storage: the bench's host serves it too, so nothing leaves 127.0.0.1.
      FAL_STORAGE_URL: hostUrl,
      DEFAULT_PROVIDER: 'runware'
    },
    {
      module: join(HERE, '..', 'relay.mjs'),
      preload: [join(HERE, 'relay-preload.mjs')],
      cwd,
      execArgv: options.cpuProfile === true ? ['--cpu-prof', '--cpu-prof-dir', cwd] : []
    }
  )
  const stopAsync = child.stopAsync
  return {
    ...child,
    dir: cwd,
    async stopAsync(stopOptions = {}) {
      await stopAsync()
      if (stopOptions.keepFiles !== true) rmSync(cwd, { recursive: true, force: true })
    }
  }
}
