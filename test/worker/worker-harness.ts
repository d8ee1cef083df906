/**
 * The relay as a Cloudflare Worker, in workerd, in front of the strict fake Runware on 127.0.0.1,
 * with the team-relay test helpers' shape (test/support/relay-session.ts: `requestAsync`,
 * `postEditAsync`, `createEditAsync`, `waitForEndAsync`) over real HTTP, so the worker tests read like the Node relay's.
 * Tokens come as secrets: the tokens file's JSON in RELAY_TOKENS_JSON, and RELAY_TOKENS.
 *
 * Every response and workerd's whole output (the relay's log lines) are recorded for
 * `itKeepsSecretsOutOfTheWorker()`.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRelaySession, responseText, type RelaySession } from '../support/relay-session'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { ALICE, BOB, OPS, PLAIN_TOKEN, TEAM_TOKENS } from '../team/team-harness'
import { startWorkerAsync, type RunningWorker } from './start-worker-async'

export const WORKER_API_KEY = `rw-worker-secret-${randomUUID()}`
/** A fourth owner with room for one kontext-max edit (0.08) a day. */
export const CAROL = { token: `carol-${'c'.repeat(20)}`, owner: 'carol' }
export const WORKER_TOKENS = {
  tokens: [...TEAM_TOKENS.tokens, { token: CAROL.token, owner: CAROL.owner, dailyBudgetUsd: 0.1, requestsPerMinute: 20 }]
}
export const WORKER_ALL_TOKENS = [ALICE.token, BOB.token, OPS.token, CAROL.token, PLAIN_TOKEN]

export const workerTranscript = { responses: [] as string[], outputs: [] as Array<() => string> }

export interface WorkerRelay {
  url: string
  worker: RunningWorker
  runware: FakeRunware
  requestAsync: RelaySession['requestAsync']
  postEditAsync: RelaySession['postEditAsync']
  createEditAsync: RelaySession['createEditAsync']
  waitForEndAsync: RelaySession['waitForEndAsync']
  close(): Promise<void>
}

export interface WorkerRelayOptions {
  /** Extra bindings (variables and secrets). */
  bindings?: Record<string, string>
  /** Durable Object storage that outlives this workerd (a restart test starts a second one on it). */
  storageDir?: string
  /** An existing fake Runware (a restarted relay talks to the same host); it is not closed here. */
  runware?: FakeRunware
}

export async function startWorkerRelayAsync(options: WorkerRelayOptions = {}): Promise<WorkerRelay> {
  const ownFake = options.runware === undefined
  const runware = options.runware ?? (await startFakeRunwareAsync({ apiKey: WORKER_API_KEY }))
  let worker: RunningWorker
  try {
    worker = await startWorkerAsync({
      ...(options.storageDir === undefined ? {} : { storageDir: options.storageDir }),
      bindings: {
        RUNWARE_API_KEY: runware.apiKey,
        RUNWARE_API_URL: runware.url,
        PROVIDER_TIMEOUT_SECONDS: '10',
        RELAY_TOKENS: PLAIN_TOKEN,
        RELAY_TOKENS_JSON: JSON.stringify(WORKER_TOKENS),
        RELAY_TEST_ROUTES: '1',
        ...options.bindings
      }
    })
  } catch (error) {
    if (ownFake) await runware.close()
    throw error
  }
  workerTranscript.outputs.push(worker.output)

  const { requestAsync, postEditAsync, createEditAsync, waitForEndAsync } = createRelaySession({
    sendAsync: (path, init) => fetch(`${worker.url}${path}`, init),
    token: ALICE.token,
    recordAsync: async (response) => {
      workerTranscript.responses.push(await responseText(response))
    }
  })
  async function close(): Promise<void> {
    await worker.close()
    if (ownFake) await runware.close()
  }
  return { url: worker.url, worker, runware, requestAsync, postEditAsync, createEditAsync, waitForEndAsync, close }
}

/** Declare last in a test file: nothing the worker answered or logged holds a key or a token. */
export function itKeepsSecretsOutOfTheWorker(): void {
  describe('secrets', () => {
    it('never puts the host key or an access token in a response or in workerd’s output, nor image data in a log line', () => {
      const outputs = workerTranscript.outputs.map((output) => output())
      expect(workerTranscript.responses.length).toBeGreaterThan(0)
      expect(outputs.join('').length, 'the relay logs through workerd').toBeGreaterThan(0)
      expect([...workerTranscript.responses, ...outputs].filter((text) => text.includes(WORKER_API_KEY))).toEqual([])
      expect([...workerTranscript.responses, ...outputs].filter((text) => WORKER_ALL_TOKENS.some((token) => text.includes(token)))).toEqual(
        []
      )
      expect(outputs.filter((text) => /[A-Za-z0-9+/]{200,}/.test(text))).toEqual([])
    })
  })
}
