/**
 * The Node entry (relay/node.ts) as `npm start` runs it, in its own process, with the file store:
 * SIGTERM records an edit still running, SIGKILL loses no paid result, and the next start records
 * what a crash cut off. The entry is bundled with esbuild next to the repository's node_modules.
 */
import { spawnRelayProcessAsync, type RelayProcess } from '../support/spawn-relay-process-async'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EditJob, UsageResponse } from '../../shared/relay-api'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { ALICE, API_KEY, editForm, TEAM_TOKENS, tempDir, writeTokensFile } from './team-harness'

const OUT_DIR = join('test-output', 'team-node-entry')
const BUNDLE = join(OUT_DIR, `relay-${randomUUID()}.mjs`)
const PROMPT = 'Put the launch name Project Nightjar on the banner'

let runware: FakeRunware

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
  runware = await startFakeRunwareAsync({ apiKey: API_KEY })
})

afterAll(async () => {
  await runware.close()
  rmSync(BUNDLE, { force: true })
})

async function startAsync(dataDir: string, tokensFile: string, env: Record<string, string> = {}): Promise<RelayProcess> {
  return spawnRelayProcessAsync({
    bundle: BUNDLE,
    cwd: tempDir('kontext-cwd-'),
    env: {
      RELAY_TOKENS_FILE: tokensFile,
      RELAY_DATA_DIR: dataDir,
      RUNWARE_API_KEY: runware.apiKey,
      RUNWARE_API_URL: runware.url,
      SHUTDOWN_GRACE_SECONDS: '0',
      PROVIDER_TIMEOUT_SECONDS: '30',
      ...env
    }
  })
}

function events(relay: RelayProcess): Array<Record<string, unknown>> {
  return relay.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function callAsync(relay: RelayProcess, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${relay.url}${path}`, { ...init, headers: { authorization: `Bearer ${ALICE.token}`, ...init.headers } })
}

async function createAsync(relay: RelayProcess): Promise<string> {
  const response = await callAsync(relay, '/v1/edits', { method: 'POST', body: editForm({ prompt: PROMPT }) })
  expect(response.status).toBe(202)
  return ((await response.json()) as { id: string }).id
}

async function finishedAsync(relay: RelayProcess, id: string): Promise<EditJob> {
  for (;;) {
    const job = await jobAsync(relay, id, 10)
    if (!['queued', 'running'].includes(job.status)) return job
  }
}

async function jobAsync(relay: RelayProcess, id: string, wait = 0): Promise<EditJob> {
  const response = await callAsync(relay, `/v1/edits/${id}?wait=${wait}`)
  expect(response.status).toBe(200)
  return EditJob.parse(await response.json())
}

describe('the Node relay process', () => {
  it('on SIGTERM records the edit still running as interrupted and exits 0; the next start shows it, ledger released', async () => {
    const dataDir = tempDir()
    const tokensFile = writeTokensFile(tempDir(), TEAM_TOKENS)
    runware.setLatency(60_000)
    const first = await startAsync(dataDir, tokensFile)
    const id = await createAsync(first)
    while (runware.accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(existsSync(join(dataDir, 'LOCK'))).toBe(false)
    const log = events(first)
    expect(log.map((line) => line.event)).toEqual(expect.arrayContaining(['relay.stopping', 'job.interrupted', 'relay.stopped']))
    const created = log.find((line) => line.event === 'job.created')
    expect(created).toMatchObject({ jobId: id, requestId: expect.any(String) })
    // Lines the request wrote (the job's and the host adapter's too) carry its id; the shutdown's are not the request's.
    const fromRequest = log.filter((line) => line.jobId === id && line.event !== 'job.interrupted')
    expect(fromRequest.map((line) => line.event)).toEqual(expect.arrayContaining(['job.created', 'provider.submit']))
    expect(fromRequest.filter((line) => line.requestId !== created!.requestId)).toEqual([])
    const stdout = first.lines.join('\n')
    expect(stdout).not.toContain('Nightjar')
    expect(stdout).not.toContain(ALICE.token)
    expect(stdout).not.toContain(API_KEY)

    runware.setLatency(0)
    const second = await startAsync(dataDir, tokensFile)
    try {
      expect(await jobAsync(second, id)).toMatchObject({
        status: 'failed',
        error: { code: 'interrupted', message: expect.stringMatching(/stopped before this edit finished/) }
      })
      const usage = UsageResponse.parse(await (await callAsync(second, '/v1/usage')).json())
      expect(usage.owners[0]).toMatchObject({ owner: 'alice', edits: 1, spentUsd: 0, reservedUsd: 0 })
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
  })

  it('after SIGKILL keeps a finished result and its bytes, records the edit it cut off, and takes over the dead process’s lock', async () => {
    const dataDir = tempDir()
    const tokensFile = writeTokensFile(tempDir(), TEAM_TOKENS)
    runware.setLatency(0)
    const first = await startAsync(dataDir, tokensFile)
    const done = await createAsync(first)
    expect((await finishedAsync(first, done)).status).toBe('succeeded')
    const bytes = Buffer.from(await (await callAsync(first, `/v1/edits/${done}/images/0`)).arrayBuffer())
    runware.setLatency(60_000)
    const accepted = runware.accepted.length
    const cut = await createAsync(first)
    while (runware.accepted.length === accepted) await new Promise((resolve) => setTimeout(resolve, 20))
    first.child.kill('SIGKILL')
    await first.exited
    expect(readFileSync(join(dataDir, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(first.child.pid))

    runware.setLatency(0)
    const second = await startAsync(dataDir, tokensFile)
    try {
      expect(await jobAsync(second, done)).toMatchObject({ status: 'succeeded', cost: 0.08 })
      expect(Buffer.from(await (await callAsync(second, `/v1/edits/${done}/images/0`)).arrayBuffer()).equals(bytes)).toBe(true)
      expect(await jobAsync(second, cut)).toMatchObject({
        status: 'failed',
        error: { code: 'interrupted', message: expect.stringMatching(/restarted while this edit was running/) }
      })
      expect(events(second).find((line) => line.event === 'relay.recovered')).toMatchObject({ interrupted: 1 })
      const usage = UsageResponse.parse(await (await callAsync(second, '/v1/usage')).json())
      expect(usage.owners[0]).toMatchObject({ edits: 2, images: 1, spentUsd: 0.08, reservedUsd: 0 })
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
  })

  it('keeps serving through the grace time of SIGTERM: new edits get 503 interrupted with Retry-After, polls and downloads still work; a second signal stops it', async () => {
    const dataDir = tempDir()
    const tokensFile = writeTokensFile(tempDir(), TEAM_TOKENS)
    runware.setLatency(0)
    // A grace time far longer than the test, so every request below lands inside it.
    const relay = await startAsync(dataDir, tokensFile, { SHUTDOWN_GRACE_SECONDS: '600' })
    try {
      const done = await createAsync(relay)
      expect((await finishedAsync(relay, done)).status).toBe('succeeded')
      const bytes = Buffer.from(await (await callAsync(relay, `/v1/edits/${done}/images/0`)).arrayBuffer())
      runware.setLatency(60_000)
      const accepted = runware.accepted.length
      const running = await createAsync(relay)
      while (runware.accepted.length === accepted) await new Promise((resolve) => setTimeout(resolve, 20))

      relay.child.kill('SIGTERM')
      for (let poll = 0; poll < 500 && !events(relay).some((line) => line.event === 'relay.draining'); poll += 1)
        await new Promise((resolve) => setTimeout(resolve, 20))
      expect(events(relay).map((line) => line.event)).toEqual(expect.arrayContaining(['relay.stopping', 'relay.draining']))

      const refusals: string[] = []
      for (let edit = 0; edit < 5; edit += 1) {
        const response = await callAsync(relay, '/v1/edits', { method: 'POST', body: editForm({ prompt: PROMPT }) })
        const body = (await response.json()) as { error?: { code?: string } }
        refusals.push(`${response.status} ${body.error?.code} Retry-After ${response.headers.get('retry-after')}`)
      }
      const poll = await callAsync(relay, `/v1/edits/${running}`)
      const pollStatus = poll.status
      const polled = EditJob.parse(await poll.json())
      const download = await callAsync(relay, `/v1/edits/${done}/images/0`)
      const downloaded = Buffer.from(await download.arrayBuffer())
      const retryAfter = refusals[0]?.split(' ').pop()
      console.log(
        `grace period: ${refusals.length} new edits → ${refusals.filter((line) => line.startsWith('503 interrupted')).length} × 503 interrupted, Retry-After ${retryAfter}; poll of the running edit ${pollStatus} (${polled.status}); download of a finished result ${download.status} (${downloaded.equals(bytes) ? 'same bytes' : 'other bytes'})`
      )
      expect(refusals).toEqual(Array.from({ length: 5 }, () => '503 interrupted Retry-After 30'))
      expect([pollStatus, polled.status]).toEqual([200, 'running'])
      expect(download.status).toBe(200)
      expect(downloaded.equals(bytes)).toBe(true)

      // The grace time would last 10 minutes (Runware cannot stop the running edit): a second signal ends it.
      relay.child.kill('SIGTERM')
      expect(await relay.exited).toBe(1)
      expect(events(relay).map((line) => line.event)).toContain('relay.forced_stop')
    } finally {
      relay.child.kill('SIGKILL')
    }
  }, 60_000)

  it('refuses to start on a folder another running relay holds', async () => {
    const dataDir = tempDir()
    const tokensFile = writeTokensFile(tempDir(), TEAM_TOKENS)
    const first = await startAsync(dataDir, tokensFile)
    try {
      await expect(startAsync(dataDir, tokensFile)).rejects.toThrow(`Another relay (process ${first.child.pid}) is using ${dataDir}`)
    } finally {
      first.child.kill('SIGTERM')
      await first.exited
    }
  })
})
