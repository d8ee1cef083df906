import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

/**
 * The tests `npm run mutation` runs against each mutant: everything that exercises the mutated
 * code in-process. Left out: the browser, workerd and build tests (they run the built bundles, not
 * the mutated sources), and the campaigns that measure load, memory or random input rather than
 * assert a behaviour a mutant could change deterministically.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/{relay,shared,plugin,team,config,capabilities,e2e,ui,client,docs}/**/*.test.{ts,tsx}',
        'test/campaign/{faults,budget-cancel,caps,ssrf,multipart-limits}.test.ts'
      ],
      exclude: ['test/team/node-entry.test.ts']
    }
  })
)
