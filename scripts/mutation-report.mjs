// After Stryker's runs (npm run mutation, scripts/mutation.mjs): the mutation score per file and overall, from the merged
// JSON report, against the targets: at least 90 % over every mutated file together and 80 % in
// each. Exits 1 under either, so `npm run mutation` fails. The figures also go to
// test-output/mutation/summary.json (date, commit, per file), and a whole run's to
// bench/recorded/mutation-score.json, which docs/benchmarks.md shows.
import { execSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'

const OVERALL_TARGET = 90
const FILE_TARGET = 80
const report = JSON.parse(readFileSync('test-output/mutation/mutation.json', 'utf8'))

// Stryker's own definition: detected (killed, timed out) over valid mutants (not ignored, compiling); no coverage counts as survived.
const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])
const rows = Object.entries(report.files).map(([path, file]) => {
  const detected = file.mutants.filter((mutant) => DETECTED.has(mutant.status)).length
  const undetected = file.mutants.filter((mutant) => UNDETECTED.has(mutant.status)).length
  const valid = detected + undetected
  return { path, detected, valid, score: valid === 0 ? 100 : (100 * detected) / valid }
})
rows.sort((a, b) => a.score - b.score || a.path.localeCompare(b.path))
const detected = rows.reduce((sum, row) => sum + row.detected, 0)
const valid = rows.reduce((sum, row) => sum + row.valid, 0)
const overall = valid === 0 ? 100 : (100 * detected) / valid
const below = rows.filter((row) => row.score < FILE_TARGET)

for (const row of rows)
  console.log(`${row.score.toFixed(1).padStart(6)} %  ${String(row.detected).padStart(4)}/${String(row.valid).padEnd(4)}  ${row.path}`)
console.log(
  `\nmutation score ${overall.toFixed(1)} % (${detected} of ${valid} mutants detected) over ${rows.length} files; target ≥ ${OVERALL_TARGET} % overall, ≥ ${FILE_TARGET} % a file: ${below.length} file(s) below`
)

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()
// `npm run mutation` mutates every file in scripts/mutation-areas.mjs: its figure is the one docs/benchmarks.md
// shows (bench/mutation-score.ts). A run of some areas only passes --partial.
const whole = !process.argv.includes('--partial')
const summary =
  JSON.stringify({ date: new Date().toISOString().slice(0, 10), commit, overall, detected, valid, files: rows }, null, 2) + '\n'
writeFileSync('test-output/mutation/summary.json', summary)
if (whole) {
  mkdirSync('bench/recorded', { recursive: true })
  writeFileSync('bench/recorded/mutation-score.json', summary)
}
process.exit(overall >= OVERALL_TARGET && below.length === 0 ? 0 : 1)
