/**
 * Shared setup for the team-relay tests: the real relay (`createRelay`, Hono's `app.request`) in
 * front of the strict fake Runware, with tokens from a real tokens file on disk, an injectable
 * clock, and either the in-memory store or the file store in a temporary folder (which a test can
 * close and open again, as a restart would).
 *
 * Every response and log line goes into `transcript`; `itKeepsSecretsOut()` — called last in each
 * test file — checks that no Runware key and no access token ever appears in a response or a log
 * line, and that no log line holds base64 image data.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRelayConfig, type RelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import { openFileStoreAsync } from '../../relay/store/open-file-store-async'
import { createMemoryStore } from '../../relay/store/memory-store'
import type { RelayStore } from '../../relay/store/relay-store'
import { ErrorBody } from '../../shared/relay-api'
import { createRelaySession, responseText, type RelaySession } from '../support/relay-session'
import { startFakeRunwareAsync, type FakeRunware, type FakeRunwareOptions } from '../fakes/runware-server'

export const ALICE = { token: `alice-${'a'.repeat(20)}`, owner: 'alice' }
export const BOB = { token: `bob-${'b'.repeat(22)}`, owner: 'bob' }
export const OPS = { token: `ops-${'o'.repeat(22)}`, owner: 'ops' }
export const PLAIN_TOKEN = `plain-${'p'.repeat(20)}`
export const API_KEY = `rw-team-secret-${randomUUID()}`
export const ALL_TOKENS = [ALICE.token, BOB.token, OPS.token, PLAIN_TOKEN]

/** The tokens file most tests use: alice with a budget and a rate, bob unlimited, ops an operator. */
export const TEAM_TOKENS = {
  tokens: [
    { token: ALICE.token, owner: ALICE.owner, dailyBudgetUsd: 1, requestsPerMinute: 20 },
    { token: BOB.token, owner: BOB.owner, dailyBudgetUsd: null, requestsPerMinute: 20 },
    { token: OPS.token, owner: OPS.owner, dailyBudgetUsd: null, requestsPerMinute: 20, role: 'operator' }
  ]
}

export const transcript = { responses: [] as string[], logs: [] as string[] }

export interface LogLine {
  event: string
  fields: Record<string, unknown>
}

/** A folder that is removed after the test. */
export function tempDir(prefix = 'kontext-team-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function writeTokensFile(dir: string, content: unknown): string {
  const path = join(dir, 'tokens.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}

export const readFile = (path: string): string => readFileSync(path, 'utf8')

export interface TeamOptions {
  /** Contents of the tokens file (default TEAM_TOKENS); null for none. */
  tokens?: unknown
  env?: Record<string, string>
  /** A folder for the file store; the in-memory store when absent. */
  dataDir?: string
  now?: () => number
  fake?: Omit<FakeRunwareOptions, 'apiKey'>
  /** An existing fake (a restarted relay talks to the same host). */
  runware?: FakeRunware
  /** Drop the `cost` Runware reports, as a host that reports none. */
  hideHostCost?: boolean
}

export interface TeamRelay {
  config: RelayConfig
  relay: ReturnType<typeof createRelay>
  store: RelayStore
  runware: FakeRunware
  logs: LogLine[]
  requestAsync: RelaySession['requestAsync']
  postEditAsync: RelaySession['postEditAsync']
  createEditAsync: RelaySession['createEditAsync']
  waitForEndAsync: RelaySession['waitForEndAsync']
  /** Closes the relay as SIGTERM does (grace in ms, default 0) and its store. */
  close(graceMs?: number): Promise<void>
}

const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

export { DEFAULT_REQUEST as DEFAULT_EDIT, editForm, REFERENCE_PNG as REFERENCE } from '../support/relay-session'

export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ErrorBody.parse(await response.json()).error
}

function hidingCost(fetcher: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetcher(input, init)
    const text = await response.text()
    let body = text
    try {
      const json = JSON.parse(text) as { data?: Array<Record<string, unknown>> }
      for (const item of json.data ?? []) delete item.cost
      body = JSON.stringify(json)
    } catch {
      // not JSON: as it came
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
}

export async function startTeamRelayAsync(options: TeamOptions = {}): Promise<TeamRelay> {
  const runware = options.runware ?? (await startFakeRunwareAsync({ apiKey: API_KEY, ...options.fake }))
  if (options.runware === undefined) cleanups.push(() => runware.close())
  const env: Record<string, string> = {
    PROVIDER_TIMEOUT_SECONDS: '10',
    RUNWARE_API_KEY: runware.apiKey,
    RUNWARE_API_URL: runware.url,
    ...options.env
  }
  if (options.tokens !== null) env.RELAY_TOKENS_FILE = writeTokensFile(tempDir('kontext-tokens-'), options.tokens ?? TEAM_TOKENS)
  const config = parseRelayConfig(env, { readFile })
  const logs: LogLine[] = []
  const log = (event: string, fields: Record<string, unknown>): void => {
    logs.push({ event, fields })
    transcript.logs.push(JSON.stringify({ event, ...fields }))
  }
  const store = options.dataDir === undefined ? createMemoryStore() : await openFileStoreAsync(options.dataDir, { log })
  const relay = createRelay(config, {
    fetch: options.hideHostCost === true ? hidingCost(fetch) : fetch,
    log,
    store,
    ...(options.now === undefined ? {} : { now: options.now })
  })
  await relay.jobs.recoverAsync()
  let closed = false
  async function close(graceMs = 0): Promise<void> {
    if (closed) return
    closed = true
    await relay.closeAsync(graceMs)
  }
  cleanups.push(() => close())

  const { requestAsync, postEditAsync, createEditAsync, waitForEndAsync } = createRelaySession({
    sendAsync: async (path, init) => relay.app.request(path, init),
    token: ALICE.token,
    recordAsync: async (response) => {
      transcript.responses.push(await responseText(response))
    }
  })
  return { config, relay, store, runware, logs, requestAsync, postEditAsync, createEditAsync, waitForEndAsync, close }
}

/** Declare last in a test file. */
export function itKeepsSecretsOut(): void {
  describe('secrets', () => {
    it('never puts the host key or an access token in a response or a log line, nor image data in a log line', () => {
      expect(transcript.responses.length + transcript.logs.length).toBeGreaterThan(0)
      const texts = [...transcript.responses, ...transcript.logs]
      expect(texts.filter((text) => text.includes(API_KEY))).toEqual([])
      expect(transcript.logs.filter((line) => ALL_TOKENS.some((token) => line.includes(token)))).toEqual([])
      expect(transcript.responses.filter((text) => ALL_TOKENS.some((token) => text.includes(token)))).toEqual([])
      expect(transcript.logs.filter((line) => /[A-Za-z0-9+/]{200,}/.test(line))).toEqual([])
    })
  })
}
