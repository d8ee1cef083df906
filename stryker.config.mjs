// One area of `npm run mutation` (scripts/mutation.mjs runs Stryker once per area in
// scripts/mutation-areas.mjs, then scripts/mutation-report.mjs scores them together). StrykerJS 9.6
// with the vitest runner (per-test coverage: each mutant runs only the tests that reach it) and the
// TypeScript checker (mutants that do not compile are not counted).
import { currentMutationArea } from './scripts/mutation-areas.mjs'

const area = currentMutationArea()

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: area.mutate,
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['progress', 'html', 'json'],
  htmlReporter: { fileName: `test-output/mutation/${area.name}/index.html` },
  jsonReporter: { fileName: `test-output/mutation/${area.name}/mutation.json` },
  // A second run on the same machine re-tests only mutants whose code or tests changed.
  incremental: true,
  incrementalFile: `test-output/mutation/${area.name}/incremental.json`,
  // The break is scripts/mutation-report.mjs's: 90 % overall and 80 % in every file (Stryker's own break knows only the first).
  thresholds: { high: 90, low: 80, break: null },
  // The sandbox is a copy of the repo: leave out what other runs write meanwhile.
  ignorePatterns: ['test-output', 'dist', '.relay-data', 'coverage'],
  dryRunTimeoutMinutes: 15,
  tempDirName: `test-output/.stryker-tmp-${area.name}`,
  cleanTempDir: 'always'
}
