// `npm test`: typecheck every runtime, lint and check formatting, build the plugin, run every test,
// and end with the plain line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const projects = ['plugin', 'client', 'ui', 'relay', 'relay/worker', 'test', 'scripts', 'bench']
const run = (command, args) =>
  spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' } }).status ?? 1

let typeErrors = 0
for (const project of projects) {
  if (run('npx', ['tsc', '-p', project]) !== 0) {
    console.error(`Type errors in ${project}/ (tsc -p ${project})`)
    typeErrors += 1
  }
}
// Lint findings and unformatted files count as one failure each, like a project's type errors.
let styleErrors = 0
if (run('npx', ['eslint', '.', '--max-warnings', '0']) !== 0) {
  console.error('ESLint found problems (npx eslint .). Fix them, or run `npx eslint --fix .` for the fixable ones.')
  styleErrors += 1
}
if (run('npx', ['prettier', '--check', '.']) !== 0) {
  console.error('Some files are not formatted (npx prettier --check .). Run `npx prettier --write .` to format them.')
  styleErrors += 1
}
if (run('node', ['scripts/build.mjs', '--quiet']) !== 0) {
  console.error('The build failed.')
  console.log(`0 passed, ${1 + typeErrors + styleErrors} failed`)
  process.exit(1)
}

const report = '.vitest.json'
rmSync(report, { force: true })
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2)
])
let passed = 0
let failed = 0
if (existsSync(report)) {
  const result = JSON.parse(readFileSync(report, 'utf8'))
  passed = result.numPassedTests
  // A file that fails to load has no failed test in it, yet it failed: count it once.
  const brokenFiles = result.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed')
  ).length
  failed = result.numFailedTests + brokenFiles
}
// Type errors, lint findings and unformatted files count as failures: such code is not done.
failed += typeErrors + styleErrors
console.log(`${passed} passed, ${failed} failed`)
process.exit(status !== 0 || failed > 0 || passed === 0 ? 1 : 0)
