/**
 * Shared setup for the relay's tests: a relay built by `createRelay` in-process (Hono's
 * `app.request`, no port) in front of the strict fake Runware server, plus helpers to build
 * multipart edit requests and follow jobs.
 *
 * Every response the relay gives (status line, headers, body bytes) and every log line it writes
 * go into this file's `transcript`; `itKeepsSecretsOutOfResponsesAndLogs()` — called last in each
 * test file — asserts that the Runware API key never appears in any of them and that the relay's
 * access tokens never appear in a log line.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { parseRelayConfig, type RelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import type { JobRecord } from '../../relay/jobs/job-record'
import { createMemoryStore, type MemoryStore } from '../../relay/store/memory-store'
import { ErrorBody, TERMINAL_STATUSES, type EditJob, type EditRequestInput } from '../../shared/relay-api'
import { createRelaySession, responseText } from '../support/relay-session'
import type { StubProvider } from '../support/stub-provider'
import { PROVIDERS } from '../../shared/models'
import { startFakeRunwareAsync, type FakeRunware, type FakeRunwareOptions } from '../fakes/runware-server'

export const TOKEN = 'test-token-aaaaaaaaaaaa'
export const OTHER_TOKEN = 'other-token-bbbbbbbbbbbb'
/** Unique per run, so finding it anywhere cannot be a coincidence. */
export const API_KEY = `rw-fake-secret-${randomUUID()}`

export interface LogLine {
  event: string
  fields: Record<string, unknown>
}

/** Everything the relays in one test file said, for the leak check. */
export const transcript = {
  /** One entry per response: status, every header and the body decoded as latin1 (bytes kept 1:1). */
  responses: [] as string[],
  logs: [] as string[]
}

export interface RelayHarness {
  config: RelayConfig
  app: ReturnType<typeof createRelay>['app']
  jobs: ReturnType<typeof createRelay>['jobs']
  store: MemoryStore
  /** undefined when the relay was built without a Runware key */
  fake: FakeRunware | undefined
  logs: LogLine[]
  /** The bodies of the host's answers to the relay, as text, in the order they arrived. */
  hostAnswers: string[]
  /** `app.request` that records the response for the leak check. */
  requestAsync(path: string, init?: RequestInit): Promise<Response>
  /** Same, with `Authorization: Bearer <token>` (TOKEN unless given). */
  authedAsync(path: string, init?: RequestInit, token?: string): Promise<Response>
  /** POSTs an edit form with the token (TOKEN unless given). */
  postEditAsync(form: FormData, token?: string): Promise<Response>
  /** POSTs an edit that must be accepted (202) and returns its id. */
  createEditAsync(request?: EditRequestInput, images?: Uint8Array[], token?: string): Promise<string>
  /** Long-polls `GET /v1/edits/{id}?wait=10` until the job is succeeded, failed or canceled. */
  waitForEndAsync(id: string, token?: string): Promise<EditJob>
}

export interface HarnessOptions {
  /** Start the fake and give the relay its key (default true, unless `stub` is given). */
  withRunware?: boolean
  /** Run the jobs layer on a stub adapter instead of the fake Runware (test/support/stub-provider.ts). */
  stub?: StubProvider
  fake?: Omit<FakeRunwareOptions, 'apiKey'>
  /** Extra environment for parseRelayConfig. */
  env?: Record<string, string | undefined>
  /** Fields to override on the parsed config (e.g. maxRequestBytes, providerTimeoutMs). */
  config?: Partial<RelayConfig>
  /** Rewrites the body of every answer from the host before the relay reads it. */
  rewriteHostAnswer?: (text: string) => string
  /** The relay's clock (default Date.now). */
  now?: () => number
}

const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

export async function startRelayHarnessAsync(options: HarnessOptions = {}): Promise<RelayHarness> {
  const fake =
    options.withRunware === false || options.stub !== undefined
      ? undefined
      : await startFakeRunwareAsync({ apiKey: API_KEY, ...options.fake })
  const env: Record<string, string | undefined> = {
    RELAY_TOKENS: `${TOKEN},${OTHER_TOKEN}`,
    PROVIDER_TIMEOUT_SECONDS: '5',
    ...(fake === undefined ? {} : { RUNWARE_API_KEY: fake.apiKey, RUNWARE_API_URL: fake.url }),
    // The stub's host is enabled as its key would enable it; the stub never uses the key.
    ...(options.stub === undefined ? {} : { [PROVIDERS[options.stub.id].apiKeyVariable]: API_KEY }),
    ...options.env
  }
  const config: RelayConfig = { ...parseRelayConfig(env), ...options.config }
  const logs: LogLine[] = []
  const log = (event: string, fields: Record<string, unknown>): void => {
    logs.push({ event, fields })
    transcript.logs.push(`${event} ${safeStringify(fields)}`)
  }
  const hostAnswers: string[] = []
  const spyingFetch: typeof fetch = async (input, init) => {
    let response = await fetch(input, init)
    if (options.rewriteHostAnswer !== undefined) {
      const { status, statusText, headers } = response
      response = new Response(options.rewriteHostAnswer(await response.text()), { status, statusText, headers })
    }
    response
      .clone()
      .text()
      .then(
        (text) => hostAnswers.push(text),
        () => undefined
      )
    return response
  }
  const store = createMemoryStore()
  const { app, jobs } = createRelay(config, {
    fetch: spyingFetch,
    log,
    store,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.stub === undefined ? {} : { providers: { [options.stub.id]: options.stub } })
  })

  cleanups.push(async () => {
    // Cancel what is still running so no retry sleeps past the test, then close the fake.
    for (const job of [...store.values()]) {
      if (!TERMINAL_STATUSES.includes(job.status)) await jobs.cancelAsync(job.id, job.owner).catch(() => undefined)
    }
    await fake?.close()
    await jobs.settleAsync()
  })

  const session = createRelaySession({ sendAsync: async (path, init) => app.request(path, init), token: TOKEN, recordAsync, maxPolls: 10 })
  const { requestAsync, authedAsync, createEditAsync, waitForEndAsync } = session
  const postEditAsync = session.postFormAsync

  return { config, app, jobs, store, fake, logs, hostAnswers, requestAsync, authedAsync, postEditAsync, createEditAsync, waitForEndAsync }
}

/** Records a response obtained some other way (e.g. over real HTTP) for the leak check. */
export async function recordAsync(response: Response): Promise<void> {
  transcript.responses.push(await responseText(response))
}

function safeStringify(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, field: unknown) => (field instanceof Uint8Array ? `<${field.length} bytes>` : field)) ?? String(value)
    )
  } catch {
    return String(value)
  }
}

// -------------------------------------------------------------------------------------------
// Requests
// -------------------------------------------------------------------------------------------

export { DEFAULT_REQUEST, editForm, REFERENCE_PNG, type PartSpec } from '../support/relay-session'

/** Reads an error envelope, failing the test when the body is not one. */
export async function readErrorAsync(response: Response): Promise<{ code: string; message: string }> {
  return ErrorBody.parse(await response.json()).error
}

/** The job as the store holds it (for assertions the API does not expose). */
/** The imageInference tasks the relay sent to the host (accepted or not), in order. */
export function submissions(fake: FakeRunware): Array<Record<string, unknown>> {
  return tasksOfType(fake, 'imageInference')
}

/** The getResponse polls the relay sent to the host, in order. */
export function polls(fake: FakeRunware): Array<Record<string, unknown>> {
  return tasksOfType(fake, 'getResponse')
}

function tasksOfType(fake: FakeRunware, taskType: string): Array<Record<string, unknown>> {
  return fake.requests
    .map((request) => (Array.isArray(request.body) ? (request.body[0] as Record<string, unknown> | undefined) : undefined))
    .filter((task): task is Record<string, unknown> => task !== undefined && task.taskType === taskType)
}

export function storedJob(harness: RelayHarness, id: string): JobRecord {
  const job = harness.store.get(id)
  if (job === undefined) throw new Error(`no job ${id}`)
  return job
}

// -------------------------------------------------------------------------------------------
// Leak check
// -------------------------------------------------------------------------------------------

/** Declare last in a test file: checks everything this file's relays answered and logged. */
export function itKeepsSecretsOutOfResponsesAndLogs(): void {
  describe('secrets', () => {
    it('never puts the Runware API key in a response or a log line, nor an access token in a log line', () => {
      expect(transcript.responses.length + transcript.logs.length).toBeGreaterThan(0)
      const leakedKey = [...transcript.responses, ...transcript.logs].filter((text) => text.includes(API_KEY))
      expect(leakedKey).toEqual([])
      const leakedToken = transcript.logs.filter((line) => line.includes(TOKEN) || line.includes(OTHER_TOKEN))
      expect(leakedToken).toEqual([])
    })
  })
}
