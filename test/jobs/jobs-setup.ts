/**
 * The jobs layer alone (`createEditJobs` on a memory store) with a host the test controls: when
 * each call answers, with what, and whether it stops at an abort. The clock is the test's.
 */
import { createEditJobs, type CreateJobInput, type EditJobsDeps } from '../../relay/jobs/edit-jobs'
import type { JobRecord } from '../../relay/jobs/job-record'
import type { Provider, ProviderEditInput, ProviderResult } from '../../relay/providers/provider'
import { createMemoryStore } from '../../relay/store/memory-store'
import { offerOf, type ProviderId } from '../../shared/models'
import { EditRequest, type EditRequestInput } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'

export const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)
export const DAY = '2025-06-30'
/** Distinct from the retention time, so an expiry shows which of the two it was built from. */
export const PROVIDER_TIMEOUT_MS = 60_000
export const RESULT_TTL_MS = 5_000
export const REFERENCE = { bytes: makePng(64, 36), contentType: 'image/png' as const, width: 64, height: 36 }

export interface HostCall {
  input: ProviderEditInput
  answer(result: ProviderResult | Error): void
}

export interface ControlledHost {
  provider: Provider
  /** Every call so far, in order. */
  calls: HostCall[]
  /** Answers call `index` (the first by default). */
  answer(result: ProviderResult | Error, index?: number): void
}

/** A host that answers when told; with `honorsAbort`, a call also ends (rejects) when its signal aborts. */
export function controlledHost(id: ProviderId, honorsAbort = false): ControlledHost {
  const calls: HostCall[] = []
  const provider: Provider = {
    id,
    editAsync: (input) =>
      new Promise<ProviderResult>((resolve, reject) => {
        calls.push({ input, answer: (result) => (result instanceof Error ? reject(result) : resolve(result)) })
        if (honorsAbort) input.signal.addEventListener('abort', () => reject(input.signal.reason as Error), { once: true })
      })
  }
  return { provider, calls, answer: (result, index = 0) => calls[index]!.answer(result) }
}

export function hostResult(images: number, costUsd: number | undefined, side = 32): ProviderResult {
  return {
    images: Array.from({ length: images }, (_, index) => ({ bytes: makePng(side, side, index + 1), seed: index })),
    costUsd,
    hostJobId: 'host-1'
  }
}

export interface SetupOptions {
  provider?: ProviderId
  honorsAbort?: boolean
  dailyBudgetUsd?: number | null
  deps?: Partial<EditJobsDeps>
}

export interface LogLine {
  event: string
  fields: Record<string, unknown>
}

/** Lets every pending promise callback run (the host's answer reaching the job, a store write). */
export async function flushAsync(): Promise<void> {
  for (let turn = 0; turn < 20; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve))
}

export function setupJobs(options: SetupOptions = {}) {
  const provider = options.provider ?? 'runware'
  const store = createMemoryStore()
  const host = controlledHost(provider, options.honorsAbort ?? false)
  const logs: LogLine[] = []
  const clock = { now: NOON }
  let id = 0
  const deps: EditJobsDeps = {
    store,
    providers: { [provider]: host.provider },
    now: () => clock.now,
    randomUUID: () => `job-${(id += 1)}`,
    log: (event, fields) => void logs.push({ event, fields }),
    resultTtlMs: RESULT_TTL_MS,
    providerTimeoutMs: PROVIDER_TIMEOUT_MS,
    ...options.deps
  }
  const jobs = createEditJobs(deps)
  const input = (request: Partial<EditRequestInput> = {}, owner = 'alice'): CreateJobInput => ({
    account: { owner, dailyBudgetUsd: options.dailyBudgetUsd === undefined ? 1 : options.dailyBudgetUsd },
    provider,
    model: 'kontext-max',
    offer: offerOf(provider, 'kontext-max')!,
    request: EditRequest.parse({ prompt: 'Make the sky purple', ...request }),
    references: [REFERENCE]
  })
  const createAsync = async (numImages = 1, owner = 'alice'): Promise<JobRecord> => {
    const job = await jobs.createAsync(input({ numImages }, owner))
    await flushAsync()
    return job
  }
  const entryAsync = async (jobId: string) => (await store.usageEntriesAsync(DAY)).find((item) => item.jobId === jobId)
  const logged = (event: string) => logs.filter((line) => line.event === event).map((line) => line.fields)
  return { store, host, jobs, deps, clock, logs, logged, input, createAsync, entryAsync }
}

/** A job another process left in the store, with its pending ledger entry. */
export async function putForeignJobAsync(
  store: ReturnType<typeof createMemoryStore>,
  job: Partial<JobRecord> & Pick<JobRecord, 'id' | 'status'>
): Promise<JobRecord> {
  const record: JobRecord = {
    owner: 'alice',
    provider: 'runware',
    model: 'kontext-max',
    createdAt: NOON,
    updatedAt: NOON,
    expiresAt: NOON + PROVIDER_TIMEOUT_MS + RESULT_TTL_MS,
    numImages: 1,
    reservedUsd: 0.08,
    images: [],
    costEstimated: false,
    ...job
  }
  await store.putJobAsync(record)
  await store.reserveUsageAsync(
    {
      jobId: record.id,
      owner: record.owner,
      day: DAY,
      createdAt: record.createdAt,
      provider: record.provider,
      model: record.model,
      images: record.numImages,
      reservedUsd: record.reservedUsd,
      outcome: 'pending'
    },
    null
  )
  return record
}
