import { expect, onTestFinished, type TestContext } from 'vitest'
import type { RelayConfig } from '../../relay/config'
import type { ProviderId } from '../../shared/models'
import { EditJob, type EditRequestInput } from '../../shared/relay-api'
import { createRelaySession, REFERENCE_PNG, responseText, type RelaySession } from './relay-session'
import { startRelayAsync, type RunningRelay } from './start-relay-async'

/**
 * What a host's contract test drives: the real relay over real HTTP on 127.0.0.1, configured for
 * one host (its fake's variables), through the one relay session every test uses. Edits name the
 * host; edits still running when the test ends are canceled, then the relay and the fake close.
 */
export interface HostContract {
  relay: RunningRelay
  session: RelaySession
  /** POSTs an edit for this host as the plugin does. */
  postAsync(request: EditRequestInput, images?: readonly Uint8Array[]): Promise<Response>
  /** POSTs an edit that must be accepted; its id. */
  createAsync(request: EditRequestInput, images?: readonly Uint8Array[]): Promise<string>
  endAsync(id: string): Promise<EditJob>
  /** The job as it is now (`?wait=0`), which must be answered (200). */
  jobAsync(id: string): Promise<EditJob>
  /** Creates an edit and waits for its end. */
  editAsync(request: EditRequestInput, images?: readonly Uint8Array[]): Promise<EditJob>
  /** Image `index` of a finished edit: must be served (200). */
  imageAsync(job: EditJob, index: number): Promise<{ bytes: Uint8Array; type: string | null }>
  /** DELETE, which must answer the job (200). */
  cancelAsync(id: string): Promise<EditJob>
  /** The relay's log lines named `name`, parsed. */
  events(name: string): Array<Record<string, unknown>>
  /** Every log line so far, as text. */
  logText(): string
}

export interface HostContractOptions {
  /** Closes the host's fake: after the test's edits are canceled, before the relay (so a held answer ends and the relay can settle). */
  closeFakeAsync?: () => Promise<void>
  overrides?: Partial<RelayConfig>
  /** The reference an edit sends when a test names none (default a small 16:9 PNG). */
  reference?: Uint8Array
  /** Long polls before `endAsync` gives up (default 20). Each progress change ends a hold, so hosts that report every step need more. */
  maxPolls?: number
  /** The running test's context, in `describe.concurrent` files, so cleanup follows the right test. */
  context?: TestContext
}

/** Every response and log line the contract relays of this test file gave, for its key check. */
export const contractTranscript = { responses: [] as string[], logs: [] as string[] }

export async function startHostContractAsync(
  provider: ProviderId,
  env: Record<string, string>,
  options: HostContractOptions = {}
): Promise<HostContract> {
  let relay: RunningRelay
  try {
    relay = await startRelayAsync(env, options.overrides)
  } catch (error) {
    await options.closeFakeAsync?.()
    throw error
  }
  const created: string[] = []
  const session = createRelaySession({
    sendAsync: (path, init) => fetch(`${relay.url}${path}`, init),
    token: relay.token,
    ...(options.maxPolls === undefined ? {} : { maxPolls: options.maxPolls }),
    recordAsync: async (response) => {
      contractTranscript.responses.push(await responseText(response))
    }
  })
  const finished = options.context?.onTestFinished ?? onTestFinished
  finished(async () => {
    // Cancel what still runs, so closing the relay does not wait for a deadline.
    // A test that closed the relay itself has nothing left to cancel.
    for (const id of created) await session.cancelAsync(id).catch(() => undefined)
    await options.closeFakeAsync?.()
    await relay.close()
    contractTranscript.logs.push(...relay.logs)
  })
  const reference = options.reference ?? REFERENCE_PNG
  const contract: HostContract = {
    relay,
    session,
    postAsync: (request, images = [reference]) => session.postEditAsync({ provider, ...request }, images),
    async createAsync(request, images = [reference]) {
      const id = await session.createEditAsync({ provider, ...request }, images)
      created.push(id)
      return id
    },
    endAsync: (id) => session.waitForEndAsync(id),
    async jobAsync(id) {
      const response = await session.authedAsync(`/v1/edits/${id}?wait=0`)
      expect(response.status).toBe(200)
      return EditJob.parse(await response.json())
    },
    async editAsync(request, images) {
      return contract.endAsync(await contract.createAsync(request, images))
    },
    async imageAsync(job, index) {
      const response = await session.authedAsync(job.images[index]!.url)
      expect(response.status).toBe(200)
      return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type') }
    },
    async cancelAsync(id) {
      const response = await session.cancelAsync(id)
      expect(response.status).toBe(200)
      return EditJob.parse(await response.json())
    },
    events: (name) => relay.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === name),
    logText: () => relay.logs.join('\n')
  }
  return contract
}

/** The key check a contract file ends with: the host's key in no response and no log line of this file's relays. */
export function expectKeyKeptOut(key: string): void {
  expect(contractTranscript.responses.length).toBeGreaterThan(0)
  expect([...contractTranscript.responses, ...contractTranscript.logs].filter((text) => text.includes(key))).toEqual([])
}
