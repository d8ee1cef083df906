// `npm run bench`: builds the plugin (the client-path benchmark loads dist/ui.html), bundles the
// benchmark's TypeScript with esbuild into dist/bench/ (as scripts/build.mjs bundles the relay),
// and runs it. Arguments pass through, e.g. `npm run bench -- --only=polling,sizing`.
import { spawnSync } from 'node:child_process'
import * as esbuild from 'esbuild'
import { dirname, join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

// Modules outside bench/ (the browser harness, the fakes) find files next to their source with
// import.meta.url; bundled, it would point into dist/bench/. Give them their source file's URL.
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.startsWith(join(root, 'bench'))) return undefined
      const text = await readFile(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' }
    })
  }
}

// In the polling benchmark's fakes process only, each result image is rendered once per size.
const memoizedImages = {
  name: 'memoized-make-image',
  setup(build) {
    build.onResolve({ filter: /\/make-image$/ }, (args) =>
      args.importer.startsWith(join(root, 'test', 'fakes')) ? { path: join(root, 'bench', 'memoized-make-image.ts') } : undefined
    )
  }
}

const common = {
  absWorkingDir: root,
  outdir: 'dist/bench',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none'
}
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [
      'bench/main.ts',
      'bench/host-process.ts',
      'bench/relay-preload.ts',
      'bench/fal-proxy-process.ts',
      'bench/polling-delay-process.ts'
    ],
    plugins: [sourceUrls]
  }),
  esbuild.build({ ...common, entryPoints: ['bench/polling-fakes-process.ts'], plugins: [memoizedImages, sourceUrls] })
])

const run = spawnSync(process.execPath, [join(root, 'dist/bench/main.mjs'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 1)
