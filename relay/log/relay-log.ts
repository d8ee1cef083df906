import { AsyncLocalStorage } from 'node:async_hooks'
import { errorChainText } from '../../shared/error-chain-text'

export type Log = (event: string, fields: Record<string, unknown>) => void

/** What every log line written on behalf of a request (and of the job it started) carries. */
export interface LogScope {
  requestId?: string
  jobId?: string
  /** Never written as a field: used to keep the prompt out of lines that would echo it. */
  prompt?: string
}

/**
 * The scope of the code running now, carried across awaits by AsyncLocalStorage (Node, and
 * Workers with nodejs_compat), so a host adapter's lines carry the request and job ids without
 * being passed them.
 */
export interface LogContext {
  run<T>(scope: LogScope, body: () => T): T
  current(): LogScope | undefined
}

export function createLogContext(): LogContext {
  const storage = new AsyncLocalStorage<LogScope>()
  return {
    run: (scope, body) => storage.run({ ...storage.getStore(), ...scope }, body),
    current: () => storage.getStore()
  }
}

const PROMPT_FIELDS = new Set(['prompt', 'negativeprompt', 'negative_prompt', 'positiveprompt'])
const PROMPT_OMITTED = '[prompt omitted: set LOG_PROMPTS=1 to log prompts]'
/** A prompt shorter than this is not hunted for inside other text (it would blank ordinary words). */
const MIN_PROMPT_TO_MASK = 8
const DATA_URL = /data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+/g
const LONG_BASE64 = /[A-Za-z0-9+/]{200,}={0,2}/g

function scrubString(text: string, prompt: string | undefined): string {
  let out = text
    .replace(DATA_URL, (match) => `[data URL, ${match.length} characters]`)
    .replace(LONG_BASE64, (match) => `[base64, ${match.length} characters]`)
  if (prompt !== undefined && prompt.length >= MIN_PROMPT_TO_MASK && out.includes(prompt)) out = out.split(prompt).join('[prompt]')
  return out
}

/**
 * Image bytes never reach a log line (only their size); prompts only with LOG_PROMPTS=1 (`prompt`
 * fields are replaced, and the running job's prompt is masked inside any other text, such as a
 * host's error message quoting it).
 */
export function scrub(value: unknown, options: { logPrompts: boolean; prompt?: string | undefined }, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value, options.logPrompts ? undefined : options.prompt)
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[nested too deep]'
  if (Array.isArray(value)) return value.map((item) => scrub(item, options, depth + 1))
  // Causes included: the prompt and image data are masked in their text too.
  if (value instanceof Error) return scrubString(errorChainText(value), options.logPrompts ? undefined : options.prompt)
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(value)) {
    if (!options.logPrompts && PROMPT_FIELDS.has(key.toLowerCase()) && field !== undefined) out[key] = PROMPT_OMITTED
    else out[key] = scrub(field, options, depth + 1)
  }
  return out
}

/**
 * The relay's log: every line gets the request and job ids of the code that wrote it, and is
 * scrubbed of image data and (unless LOG_PROMPTS=1) prompts before it reaches `sink`.
 */
export function createRelayLog(sink: Log, context: LogContext, options: { logPrompts: boolean }): Log {
  return (event, fields) => {
    const scope = context.current()
    const ids: Record<string, unknown> = {}
    if (scope?.requestId !== undefined) ids.requestId = scope.requestId
    if (scope?.jobId !== undefined) ids.jobId = scope.jobId
    sink(event, scrub({ ...ids, ...fields }, { logPrompts: options.logPrompts, prompt: scope?.prompt }) as Record<string, unknown>)
  }
}
