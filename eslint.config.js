// `npx eslint .` (part of `npm test`): typescript-eslint with type information, the hooks rules on
// the panel and Figma's plugin rules on the sandbox. Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js'
import figmaPlugins from '@figma/eslint-plugin-figma-plugins'
import reactHooks from 'eslint-plugin-react-hooks'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

// Each runtime's own tsconfig gives its files their types (lib, jsx, globals). Not `projectService`:
// it takes the nearest tsconfig.json, and shared/ and vitest.config.ts have only the root one,
// which includes no files. shared/ is checked as the relay sees it.
const projects = [
  { files: ['plugin/**/*.ts'], project: 'plugin/tsconfig.json' },
  { files: ['client/**/*.ts'], project: 'client/tsconfig.json' },
  { files: ['ui/**/*.{ts,tsx}'], project: 'ui/tsconfig.json' },
  { files: ['relay/**/*.ts', 'shared/**/*.ts'], project: 'relay/tsconfig.json' },
  { files: ['test/**/*.{ts,tsx}', 'vitest.config.ts', 'vitest.mutation.config.ts'], project: 'test/tsconfig.json' },
  { files: ['scripts/**/*.ts'], project: 'scripts/tsconfig.json' },
  { files: ['bench/**/*.ts'], project: 'bench/tsconfig.json' }
]

// The Node globals the .mjs scripts may use (ESLint's no-undef knows only the language's own).
const nodeGlobals = [
  ...['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'AbortController', 'fetch', 'performance'],
  ...['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'queueMicrotask', 'structuredClone']
]

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.relay-data/', 'coverage/', 'test-output/'] },
  js.configs.recommended,
  { files: ['**/*.{ts,tsx}'], extends: [tseslint.configs.recommendedTypeChecked] },
  ...projects.map(({ files, project }) => ({
    files,
    languageOptions: { parserOptions: { project, tsconfigRootDir: import.meta.dirname } }
  })),
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // An `…Async` method that implements a Promise-returning interface stays `async` without an
      // await (the in-memory stores, the fakes), so that a throw in it rejects instead of throwing.
      '@typescript-eslint/require-await': 'off',
      // Interfaces declare methods in method syntax, but every implementation is an object of
      // closures with no `this`, and destructuring them (`const { editAsync } = session`) is usual here.
      '@typescript-eslint/unbound-method': 'off',
      // An aborted operation rejects with `signal.reason` as it is, as fetch does.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A `let` that a handler registered earlier reads before its one assignment (scripts/edit.ts's
      // SIGINT handler and the job id) cannot be a `const`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The compiler already reports undefined names with each runtime's own globals; ESLint's
      // copy of the check knows none of them (typescript-eslint's advice for TypeScript files).
      'no-undef': 'off',
      // A `_`-prefixed parameter is deliberately unused: the callback's shape is fixed (Workers' fetch(request, env, ctx)).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    // Tests and the benchmark read JSON bodies and fakes' requests as `any` and check their shape
    // with `expect`; product code parses with zod at its boundaries instead.
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // …and may say so in a type (`body: any` for a host's JSON answer).
      '@typescript-eslint/no-explicit-any': 'off'
    }
  },
  {
    // What the sandbox and the panel bundle parses with zod/mini: classic zod (with its English
    // messages) is ~94 kB of each bundle where mini is ~38 kB (docs/benchmarks.md, "Bundle sizes").
    files: ['plugin/**/*.ts', 'ui/**/*.{ts,tsx}', 'client/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zod', message: "Import 'zod/mini' here: classic zod would triple the sandbox's and the panel's share of zod." }]
        }
      ]
    }
  },
  {
    // Product code stays in small files and small functions (CONTRIBUTING.md, "How we write code");
    // tests and fakes may be long tables.
    files: ['plugin/**/*.ts', 'ui/**/*.{ts,tsx}', 'client/**/*.ts', 'shared/**/*.ts', 'relay/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }]
    }
  },
  {
    files: ['ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error'
    }
  },
  {
    files: ['plugin/**/*.ts'],
    ...figmaPlugins.flatConfigs.recommended
  },
  {
    // Build and run scripts: plain Node ESM, no type information.
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: Object.fromEntries(nodeGlobals.map((name) => [name, 'readonly'])) }
  }
)
