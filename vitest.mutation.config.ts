import { defineConfig } from 'vitest/config'
import base from './vitest.config'

/**
 * The tests `npm run mutation` runs against each mutant: everything that exercises the mutated
 * code in-process. Left out: the browser, workerd and build tests (they run the built bundles, not
 * the mutated sources), and the campaigns that measure load, memory or random input rather than
 * assert a behaviour a mutant could change deterministically.
 */
// Not mergeConfig: it would append these lists to the base's `include`, which takes every test.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/{relay,jobs,images,auth,http,usage,shared,plugin,team,config,capabilities,e2e,ui,client,docs}/**/*.test.{ts,tsx}',
      'test/campaign/{faults,budget-cancel,caps,ssrf,multipart-limits}.test.ts'
    ],
    exclude: ['test/team/node-entry.test.ts']
  }
})
