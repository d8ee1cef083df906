/**
 * The suite-wide leak sink. Every relay any test builds with `createRelay` is tapped by
 * `leak-sink-setup.ts` (a vitest setup file): its host keys and access tokens are registered here,
 * and every response it gives (status, headers, body bytes as latin1) and every log line it writes
 * are recorded. After each test file the sink is scanned (host keys: responses and logs; access
 * tokens: logs), the file fails on a hit, and a summary goes to `test-output/leak-scan/`, which
 * `leak-global-setup.ts` adds up at the end of the run for the suite's figure.
 *
 * Tests that see relay output some other way (a relay in a child process) record it here too.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const LEAK_SCAN_DIR = join('test-output', 'leak-scan')
/** Shorter strings would match by accident; no real key or relay token is this short. */
const MIN_SECRET_CHARS = 8

export interface LeakHit {
  secret: string
  kind: 'host key' | 'access token'
  where: 'response' | 'log'
  excerpt: string
}

export interface LeakSummary {
  file: string
  responses: number
  logLines: number
  hostKeys: number
  accessTokens: number
  hits: LeakHit[]
}

interface SinkState {
  hostKeys: Set<string>
  accessTokens: Set<string>
  responses: string[]
  logLines: string[]
  pending: Set<Promise<void>>
}

// One sink a process, whichever copy of this module (vitest may load it afresh per test file, while
// a mock factory keeps the copy it first saw): the files of a worker run one after another.
const SINK_KEY = Symbol.for('kontext-edit.leak-sink')
const state: SinkState = ((globalThis as Record<symbol, SinkState | undefined>)[SINK_KEY] ??= {
  hostKeys: new Set(),
  accessTokens: new Set(),
  responses: [],
  logLines: [],
  pending: new Set()
})
const { hostKeys, accessTokens, responses, logLines, pending } = state

export function registerHostKey(key: string | undefined): void {
  if (key !== undefined && key.length >= MIN_SECRET_CHARS) hostKeys.add(key)
}

export function registerAccessToken(token: string | undefined): void {
  if (token !== undefined && token.length >= MIN_SECRET_CHARS) accessTokens.add(token)
}

export function recordLogLine(line: string): void {
  logLines.push(line)
}

function stringify(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, field: unknown) => (field instanceof Uint8Array ? `<${field.length} bytes>` : field)) ?? String(value)
    )
  } catch {
    return String(value)
  }
}

export function recordLog(event: string, fields: Record<string, unknown>): void {
  recordLogLine(`${event} ${stringify(fields)}`)
}

export function recordResponseText(text: string): void {
  responses.push(text)
}

/** Records a response without touching the caller's copy: its clone is read in the background. */
export function recordResponse(response: Response): void {
  let copy: Response
  try {
    copy = response.clone()
  } catch {
    // A body already used cannot be cloned: its status and headers are still recorded.
    responses.push(`${response.status}\n${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n`)
    return
  }
  const head = `${copy.status}\n${[...copy.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n`
  const reading = copy.arrayBuffer().then(
    (buffer) => void responses.push(head + Buffer.from(buffer).toString('latin1')),
    () => void responses.push(head)
  )
  pending.add(reading)
  void reading.finally(() => pending.delete(reading))
}

function excerptAround(text: string, index: number, secret: string): string {
  return text.slice(Math.max(0, index - 80), index).concat('<SECRET>', text.slice(index + secret.length, index + secret.length + 80))
}

/** Searches texts for secrets (exported for the campaign's self-test). */
export function findLeaks(input: {
  responses: readonly string[]
  logLines: readonly string[]
  hostKeys: Iterable<string>
  accessTokens: Iterable<string>
}): LeakHit[] {
  const hits: LeakHit[] = []
  const search = (texts: readonly string[], where: LeakHit['where'], secrets: Iterable<string>, kind: LeakHit['kind']) => {
    for (const secret of secrets) {
      for (const text of texts) {
        const index = text.indexOf(secret)
        if (index >= 0) hits.push({ secret: `${secret.slice(0, 6)}…`, kind, where, excerpt: excerptAround(text, index, secret) })
      }
    }
  }
  search(input.responses, 'response', input.hostKeys, 'host key')
  search(input.logLines, 'log', input.hostKeys, 'host key')
  search(input.logLines, 'log', input.accessTokens, 'access token')
  return hits
}

/** What the sink holds so far (for tests that check the tap is in place). */
export function leakSinkCounts(): { responses: number; logLines: number; hostKeys: number; accessTokens: number } {
  return { responses: responses.length, logLines: logLines.length, hostKeys: hostKeys.size, accessTokens: accessTokens.size }
}

/** Scans what one test file recorded, writes its summary, and empties the sink. */
export async function scanAndResetAsync(file: string): Promise<LeakSummary> {
  while (pending.size > 0) await Promise.allSettled([...pending])
  const summary: LeakSummary = {
    file,
    responses: responses.length,
    logLines: logLines.length,
    hostKeys: hostKeys.size,
    accessTokens: accessTokens.size,
    hits: findLeaks({ responses, logLines, hostKeys, accessTokens })
  }
  responses.length = 0
  logLines.length = 0
  hostKeys.clear()
  accessTokens.clear()
  if (summary.responses + summary.logLines > 0) {
    mkdirSync(LEAK_SCAN_DIR, { recursive: true })
    const name = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`
    writeFileSync(join(LEAK_SCAN_DIR, name), JSON.stringify(summary))
  }
  return summary
}
