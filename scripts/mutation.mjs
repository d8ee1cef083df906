// `npm run mutation`: Stryker once per area (scripts/mutation-areas.mjs), each against the tests
// aimed at it, then one score over every mutated file (scripts/mutation-report.mjs).
// `npm run mutation -- jobs auth` runs only those areas and records nothing in bench/.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { MUTATION_AREAS } from './mutation-areas.mjs'

const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !MUTATION_AREAS.some((area) => area.name === name))
if (unknown.length > 0) {
  console.error(`unknown area(s) ${unknown.join(', ')}; the areas are ${MUTATION_AREAS.map((area) => area.name).join(', ')}`)
  process.exit(2)
}
const areas = asked.length === 0 ? MUTATION_AREAS : MUTATION_AREAS.filter((area) => asked.includes(area.name))

const files = {}
for (const area of areas) {
  console.log(`\n— mutation area ${area.name}: ${area.mutate.join(', ')}`)
  const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATION_AREA: area.name } })
  if (run.status !== 0) {
    console.error(`Stryker failed in area ${area.name} (exit ${run.status})`)
    process.exit(run.status ?? 1)
  }
  const report = JSON.parse(readFileSync(`test-output/mutation/${area.name}/mutation.json`, 'utf8'))
  Object.assign(files, report.files)
}
mkdirSync('test-output/mutation', { recursive: true })
writeFileSync('test-output/mutation/mutation.json', JSON.stringify({ files }))
const report = spawnSync('node', ['scripts/mutation-report.mjs', ...(asked.length === 0 ? [] : ['--partial'])], { stdio: 'inherit' })
process.exit(report.status ?? 1)
