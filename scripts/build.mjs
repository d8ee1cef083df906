// Builds the plugin (dist/code.js, one self-contained dist/ui.html), the relay (dist/relay.mjs),
// the command-line client (dist/edit.mjs) and the relay as a Cloudflare Worker (dist/worker.mjs).
// `--watch` rebuilds on change.
// RELAY_ORIGIN (an https origin) sets the manifest's allowedDomains and the UI's default relay URL.
import * as esbuild from 'esbuild'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sandboxWithoutUrlPlugin } from './sandbox-without-url.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = new Set(process.argv.slice(2))
const watch = args.has('--watch')
const quiet = args.has('--quiet')
const say = (line) => quiet || console.log(line)

function relayOrigin() {
  const value = process.env.RELAY_ORIGIN?.trim()
  if (!value) return undefined
  let url
  try {
    url = new URL(value)
  } catch {
    throw new Error(`RELAY_ORIGIN must be an origin such as https://relay.example.com (got "${value}")`)
  }
  if (url.protocol !== 'https:' || url.origin !== value.replace(/\/+$/, '')) {
    throw new Error(`RELAY_ORIGIN must be an https origin without a path, such as https://relay.example.com (got "${value}")`)
  }
  return url.origin
}

async function updateManifest(origin) {
  const path = join(root, 'manifest.json')
  const manifest = JSON.parse(await readFile(path, 'utf8'))
  if (manifest.networkAccess.allowedDomains.includes('*')) throw new Error('manifest.json must never allow "*"')
  if (origin === undefined) return
  manifest.networkAccess.allowedDomains = [origin]
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`)
  say(`manifest.json: allowedDomains = ["${origin}"]`)
}

function escapeForHtml(text, tag) {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1')
}

const uiHtmlPlugin = {
  name: 'ui-html',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return
      const js = result.outputFiles.find((file) => file.path.endsWith('.js')).text
      const css = result.outputFiles.find((file) => file.path.endsWith('.css'))?.text ?? ''
      const html =
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
        `<style>${escapeForHtml(css, 'style')}</style></head><body><div id="root"></div>` +
        `<script>${escapeForHtml(js, 'script')}</script></body></html>`
      await writeFile(join(root, 'dist/ui.html'), html)
      say(
        `dist/ui.html  ${(html.length / 1024).toFixed(1)} kB (JS ${(js.length / 1024).toFixed(1)} kB, CSS ${(css.length / 1024).toFixed(1)} kB)`
      )
    })
  }
}

/** The worker bundle leaves out what only Node can run (see relay/worker/comfyui-provider.ts). */
const workerOnlyPlugin = {
  name: 'worker-only',
  setup(build) {
    build.onResolve({ filter: /\/comfyui-provider$/ }, (args) =>
      args.importer.endsWith(join('providers', 'comfyui', 'comfyui-host.ts'))
        ? { path: join(root, 'relay/worker/comfyui-provider.ts') }
        : undefined
    )
  }
}

const origin = relayOrigin()
await mkdir(join(root, 'dist'), { recursive: true })
await updateManifest(origin)

const common = { bundle: true, logLevel: quiet ? 'error' : 'warning', absWorkingDir: root, legalComments: 'none' }
const builds = [
  {
    ...common,
    entryPoints: ['plugin/main.ts'],
    outfile: 'dist/code.js',
    format: 'iife',
    // Figma's sandbox runs ES2020; nothing newer may reach it.
    target: 'es2020',
    minify: !watch,
    // The sandbox's settings fall back to this default too (first run, unreadable storage).
    define: { __KONTEXT_DEFAULT_RELAY_URL__: JSON.stringify(origin ?? 'http://localhost:8787') },
    plugins: [sandboxWithoutUrlPlugin]
  },
  {
    ...common,
    entryPoints: ['ui/main.tsx'],
    outdir: 'dist/ui-build',
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: !watch,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { __KONTEXT_DEFAULT_RELAY_URL__: JSON.stringify(origin ?? 'http://localhost:8787') },
    plugins: [uiHtmlPlugin]
  },
  {
    ...common,
    entryPoints: ['relay/node.ts'],
    outfile: 'dist/relay.mjs',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external'
  },
  {
    // The relay as a Cloudflare Worker (relay/worker.ts): no Node APIs but node:async_hooks
    // (nodejs_compat), so ComfyUI's adapter (node:fs, ws) is swapped for a stub that refuses it.
    ...common,
    entryPoints: ['relay/worker.ts'],
    outfile: 'dist/worker.mjs',
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:async_hooks'],
    plugins: [workerOnlyPlugin]
  },
  {
    ...common,
    entryPoints: ['scripts/edit.ts'],
    outfile: 'dist/edit.mjs',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external'
  }
]

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch()
  say('Watching plugin/, ui/, shared/ and relay/ for changes…')
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)))
  say('Built dist/code.js, dist/ui.html, dist/relay.mjs, dist/edit.mjs and dist/worker.mjs')
}
