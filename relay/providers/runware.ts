import * as z from 'zod'
import { AppError, ERROR_MESSAGES, type RelayErrorCode } from '../../shared/errors'
import type { OutputFormat } from '../../shared/relay-api'
import { base64ToBytes, bytesToBase64 } from '../images/base64'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderImage, ProviderResult } from './provider'
import { parseRetryAfterMs } from './retry-after'

/**
 * Runware's REST API (providers.md §1): one POST of a JSON task array, Bearer auth. The relay asks
 * for base64 output so one round trip returns the bytes. Runware lets the client choose the
 * taskUUID, and `getResponse` answers for a task by that UUID, so after an ambiguous failure the
 * adapter asks before it submits again: a task is never paid for twice.
 */
export interface RunwareConfig {
  apiKey: string
  apiUrl: string
}

const OUTPUT_FORMATS: Record<OutputFormat, 'PNG' | 'JPG'> = { png: 'PNG', jpeg: 'JPG' }

const MAX_SUBMIT_ATTEMPTS = 3
const RETRY_BASE_MS = 1000
const RETRY_AFTER_CAP_MS = 30_000
const POLL_FIRST_MS = 500
const POLL_FACTOR = 1.5
const POLL_CAP_MS = 5000
const MAX_UNREACHABLE_POLLS = 3

const RunwareErrorItem = z.object({
  code: z.string().catch('unknown'),
  message: z.string().optional().catch(undefined),
  parameter: z.unknown().optional()
})
type RunwareErrorItem = z.infer<typeof RunwareErrorItem>

const RunwareItem = z.object({
  taskUUID: z.string(),
  status: z.enum(['processing', 'success', 'error']).optional(),
  imageBase64Data: z.string().optional(),
  imageDataURI: z.string().optional(),
  seed: z.number().int().nonnegative().optional(),
  cost: z.number().nonnegative().optional(),
  NSFWContent: z.boolean().optional(),
  error: RunwareErrorItem.optional()
})
type RunwareItem = z.infer<typeof RunwareItem>

const RunwareEnvelope = z.object({
  data: z.array(RunwareItem).optional(),
  errors: z.array(RunwareErrorItem).optional()
})
type RunwareEnvelope = z.infer<typeof RunwareEnvelope>

/** Runware's safety codes (RW-TS errors.ts, providers.md §1.7). */
const SAFETY_CODES = new Set([
  'contentPolicyViolation',
  'providerContentPolicyViolation',
  'sensitiveContentDetected',
  'unsafeContentDetected',
  'nsfwContentDetected',
  'promptBlocked',
  'imageBlocked',
  'moderationFailed'
])

/** First match wins. Groups follow RW-TS's classification of Runware's codes. */
const ERROR_RULES: ReadonlyArray<{ match: (code: string, status: number) => boolean; relay: RelayErrorCode; message?: string }> = [
  { match: (code) => SAFETY_CODES.has(code), relay: 'moderated' },
  { match: (code, status) => status === 402 || /Credits|Quota|Balance|paymentRequired/i.test(code), relay: 'insufficient_credit' },
  {
    match: (code, status) => status === 401 || status === 403 || /ApiKey/.test(code),
    relay: 'provider_not_configured',
    message: 'Runware refused the relay’s API key. Ask whoever runs the relay to check RUNWARE_API_KEY.'
  },
  { match: (code, status) => status === 429 || /RateLimit/.test(code), relay: 'rate_limited' },
  { match: (code, status) => status === 504 || /Timeout/.test(code), relay: 'timeout' },
  {
    match: (code, status) => status >= 500 || /^provider|inferenceError|taskFailed|noAvailableServer/.test(code),
    relay: 'provider_unavailable'
  },
  { match: () => true, relay: 'provider_error' }
]

function toAppError(status: number, error: RunwareErrorItem | undefined): AppError {
  const code = error?.code ?? `http_${status}`
  const rule = ERROR_RULES.find((candidate) => candidate.match(code, status))!
  return new AppError(rule.relay, rule.message ?? ERROR_MESSAGES[rule.relay], {
    detail: `runware ${status} ${code}: ${error?.message ?? ''}`.trim()
  })
}

/** Answers after which the host cannot have billed, or may have: both are worth another try. */
function isTransient(status: number, code: string | undefined): boolean {
  return status === 429 || status >= 500 || /RateLimit|noAvailableServer/.test(code ?? '')
}

export function buildRunwareTask(input: ProviderEditInput, taskUUID: string): Record<string, unknown> {
  const { request, size } = input
  const task: Record<string, unknown> = {
    taskType: 'imageInference',
    taskUUID,
    model: input.hostModelId,
    positivePrompt: request.prompt,
    inputs: {
      referenceImages: input.references.map((ref) => `data:${ref.contentType};base64,${bytesToBase64(ref.bytes)}`)
    },
    width: size.width,
    height: size.height,
    numberResults: request.numImages,
    outputType: 'base64Data',
    outputFormat: OUTPUT_FORMATS[request.outputFormat],
    includeCost: true,
    providerSettings: { bfl: { promptUpsampling: request.promptUpsampling, safetyTolerance: request.safetyTolerance } }
  }
  if (request.seed !== undefined) task.seed = request.seed
  return task
}

type Attempt =
  | { kind: 'answered'; envelope: RunwareEnvelope }
  | { kind: 'uncertain'; status: number; error: AppError; retryAfterMs: number | undefined }

export function createRunwareProvider(config: RunwareConfig, deps: ProviderDeps): Provider {
  async function postAsync(tasks: unknown[], signal: AbortSignal): Promise<Attempt> {
    let response: Response
    try {
      response = await deps.fetch(config.apiUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(tasks),
        signal
      })
    } catch (error) {
      if (signal.aborted) throw signal.reason
      return {
        kind: 'uncertain',
        status: 0,
        error: new AppError('provider_unavailable', undefined, { detail: `runware network error: ${String(error)}` }),
        retryAfterMs: undefined
      }
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      return {
        kind: 'uncertain',
        status: response.status,
        error: new AppError('provider_unavailable', undefined, { detail: `runware body cut off: ${String(error)}` }),
        retryAfterMs: undefined
      }
    }
    const envelope = parseEnvelope(text)
    const firstError = envelope?.errors?.[0]
    if (response.ok && envelope !== undefined && firstError === undefined) return { kind: 'answered', envelope }
    if (isTransient(response.status, firstError?.code) || (response.ok && envelope === undefined)) {
      return {
        kind: 'uncertain',
        status: response.status,
        error: envelope === undefined && response.ok
          ? new AppError('provider_error', undefined, { detail: 'runware answered 200 with a body that is not the documented JSON' })
          : toAppError(response.status, firstError),
        retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), Date.now(), RETRY_AFTER_CAP_MS)
      }
    }
    throw toAppError(response.status, firstError)
  }

  /**
   * Asks Runware whether it has the task. Returns its finished items, or undefined when Runware
   * does not know the task (so it was never accepted, and submitting it again cannot bill twice).
   */
  async function recoverAsync(taskUUID: string, expected: number, signal: AbortSignal): Promise<RunwareItem[] | undefined> {
    let delay = POLL_FIRST_MS
    let unreachable = 0
    for (;;) {
      const attempt = await postAsync([{ taskType: 'getResponse', taskUUID }], signal).catch((error: unknown) => {
        if (error instanceof AppError && /taskFailedOrNotFound/.test(error.detail ?? '')) return 'unknown' as const
        throw error
      })
      if (attempt === 'unknown') return undefined
      // Runware cannot be reached at all: whether it took the task is unknowable, so stop asking
      // (and never resubmit blindly) rather than poll until the deadline.
      unreachable = attempt.kind === 'uncertain' && attempt.status === 0 ? unreachable + 1 : 0
      if (attempt.kind === 'uncertain' && unreachable >= MAX_UNREACHABLE_POLLS) throw attempt.error
      if (attempt.kind === 'answered') {
        const items = (attempt.envelope.data ?? []).filter((item) => item.taskUUID === taskUUID)
        const failed = items.find((item) => item.status === 'error')
        if (failed !== undefined) throw toAppError(200, failed.error)
        const done = items.filter((item) => item.status === 'success')
        if (done.length >= expected) return done
      }
      deps.log('provider.poll', { provider: 'runware', taskUUID, delayMs: Math.round(delay) })
      await deps.sleepAsync(delay, signal)
      delay = Math.min(delay * POLL_FACTOR, POLL_CAP_MS)
    }
  }

  return {
    id: 'runware',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const taskUUID = deps.randomUUID()
      const task = buildRunwareTask(input, taskUUID)
      const expected = input.request.numImages
      for (let attempt = 1; ; attempt += 1) {
        deps.log('provider.submit', { provider: 'runware', taskUUID, attempt })
        const outcome = await postAsync([task], input.signal)
        if (outcome.kind === 'answered') return toResult(taskUUID, outcome.envelope.data ?? [], expected)
        deps.log('provider.uncertain', { provider: 'runware', taskUUID, attempt, status: outcome.status, detail: outcome.error.detail })
        // A 429 is refused outright; after a 5xx, a reset or a garbled body the task may have run.
        if (outcome.status !== 429) {
          const recovered = await recoverAsync(taskUUID, expected, input.signal)
          if (recovered !== undefined) return toResult(taskUUID, recovered, expected)
        }
        if (attempt >= MAX_SUBMIT_ATTEMPTS) throw outcome.error
        await deps.sleepAsync(outcome.retryAfterMs ?? RETRY_BASE_MS * 2 ** (attempt - 1), input.signal)
      }
    }
  }
}

function parseEnvelope(text: string): RunwareEnvelope | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = RunwareEnvelope.safeParse(json)
  return parsed.success ? parsed.data : undefined
}

function toResult(taskUUID: string, items: RunwareItem[], expected: number): ProviderResult {
  const mine = items.filter((item) => item.taskUUID === taskUUID)
  const clean = mine.filter((item) => item.NSFWContent !== true)
  if (mine.length > 0 && clean.length === 0) {
    throw new AppError('moderated', undefined, { detail: 'runware flagged every result NSFWContent' })
  }
  const images: ProviderImage[] = clean.map((item) => ({ bytes: decodeItem(item), seed: item.seed }))
  if (images.length === 0 || mine.length < expected) {
    throw new AppError('provider_error', undefined, { detail: `runware returned ${mine.length} of ${expected} results` })
  }
  const costs = mine.map((item) => item.cost).filter((cost): cost is number => cost !== undefined)
  return {
    images,
    costUsd: costs.length > 0 ? Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6 : undefined,
    hostJobId: taskUUID
  }
}

function decodeItem(item: RunwareItem): Uint8Array {
  if (item.imageBase64Data !== undefined) return base64ToBytes(item.imageBase64Data)
  const match = /^data:[^;,]+;base64,(.*)$/s.exec(item.imageDataURI ?? '')
  if (match?.[1] !== undefined) return base64ToBytes(match[1])
  throw new AppError('provider_error', undefined, { detail: 'runware result carried no image data' })
}
