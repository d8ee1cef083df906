import { defineConfig } from 'vitest/config'

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The suite-wide leak check: every relay's responses and log lines are searched for its keys.
    setupFiles: ['test/support/leak-sink-setup.ts'],
    globalSetup: ['test/support/leak-global-setup.ts'],
    // Tests start servers on 127.0.0.1; two cores run two files at a time comfortably.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
