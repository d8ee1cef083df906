/**
 * Vitest global setup: empties `test-output/leak-scan/` before the run and, after every test file
 * has run, adds up the summaries each file's leak scan wrote (leak-sink.ts) into the suite's
 * figure. A hit fails the run here as well as in the file that leaked.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { LEAK_SCAN_DIR, type LeakSummary } from './leak-sink'

export function setup(): void {
  rmSync(LEAK_SCAN_DIR, { recursive: true, force: true })
}

export function teardown(): void {
  const summaries: LeakSummary[] = existsSync(LEAK_SCAN_DIR)
    ? readdirSync(LEAK_SCAN_DIR)
        .filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(readFileSync(join(LEAK_SCAN_DIR, name), 'utf8')) as LeakSummary)
    : []
  const sum = (pick: (summary: LeakSummary) => number) => summaries.reduce((total, summary) => total + pick(summary), 0)
  const hits = summaries.flatMap((summary) => summary.hits.map((hit) => ({ ...hit, file: summary.file })))
  const files = new Set(summaries.map((summary) => summary.file)).size
  console.log(
    `leak scan (whole run): ${sum((s) => s.responses)} responses and ${sum((s) => s.logLines)} log lines from ${files} test files, searched for ${sum((s) => s.hostKeys)} host keys and ${sum((s) => s.accessTokens)} access tokens: ${hits.length} hits`
  )
  if (hits.length > 0) {
    throw new Error(`Secrets leaked:\n${hits.map((hit) => `  ${hit.file}: ${hit.kind} in a ${hit.where}: …${hit.excerpt}…`).join('\n')}`)
  }
}
