// What `npm run mutation` mutates, area by area, and the tests each area's mutants run against: the
// tests aimed at that code (unit and in-process contract tests). The end-to-end flows and the
// campaigns also reach most of it, but running them per mutant would take hours on two cores; the
// score below is therefore a lower bound on the whole suite's.
export const MUTATION_AREAS = [
  {
    name: 'providers-shared',
    mutate: ['relay/providers/shared/**/*.ts'],
    tests: ['test/relay/providers-shared/**/*.test.ts', 'test/relay/run-variants.test.ts']
  },
  {
    name: 'jobs',
    mutate: ['relay/jobs/**/*.ts'],
    tests: ['test/jobs/**/*.test.ts', 'test/relay/jobs-lifecycle.test.ts', 'test/team/{settlement,result-bounds,restart}.test.ts']
  },
  {
    name: 'auth',
    mutate: ['relay/auth/**/*.ts'],
    tests: ['test/auth/**/*.test.ts', 'test/team/tokens-file.test.ts']
  },
  {
    name: 'usage-http',
    mutate: ['relay/usage/**/*.ts', 'relay/http/**/*.ts'],
    tests: [
      'test/http/**/*.test.ts',
      'test/usage/**/*.test.ts',
      'test/relay/{edit-validation,auth-and-cors,parse-edit-form-one-buffer,health}.test.ts',
      'test/team/{usage-ledger,usage-reads}.test.ts',
      'test/capabilities/**/*.test.ts'
    ]
  },
  {
    name: 'images',
    mutate: ['relay/images/**/*.ts'],
    tests: ['test/images/**/*.test.ts', 'test/relay/image-completeness.test.ts']
  },
  {
    name: 'shared-plugin',
    mutate: ['shared/**/*.ts', 'plugin/place/**/*.ts', 'plugin/export/**/*.ts', 'plugin/selection/**/*.ts', 'plugin/area/**/*.ts'],
    tests: ['test/{shared,plugin,capabilities}/**/*.test.ts'],
    // Measures the drift thresholds on large frames; under Stryker's instrumentation its pixel loops
    // take minutes, and composite-area.test.ts pins every threshold at its exact edge.
    exclude: ['test/shared/area/composite-area-thresholds.test.ts']
  }
]

/** The area named by MUTATION_AREA (set by scripts/mutation.mjs for each Stryker run). */
export function currentMutationArea() {
  const name = process.env.MUTATION_AREA
  const area = MUTATION_AREAS.find((candidate) => candidate.name === name)
  if (area === undefined) throw new Error(`MUTATION_AREA must be one of ${MUTATION_AREAS.map((a) => a.name).join(', ')}; got ${name}`)
  return area
}
