import { defineConfig } from 'vitest/config'
import base from './vitest.config'
import { currentMutationArea } from './scripts/mutation-areas.mjs'

/** The tests one area of `npm run mutation` runs against its mutants (scripts/mutation-areas.mjs). */
// Not mergeConfig: it would append these lists to the base's `include`, which takes every test.
export default defineConfig({
  ...base,
  test: { ...base.test, include: currentMutationArea().tests, exclude: currentMutationArea().exclude ?? [] }
})
