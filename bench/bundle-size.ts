import * as esbuild from 'esbuild'
import { statSync } from 'node:fs'
import type { Section } from './report'

/** The panel as Figma loads it (dist/ui.html: script and styles inline) and the sandbox's dist/code.js, each parsed on every open. */
const TARGETS = [
  { name: 'panel (dist/ui.html)', file: 'dist/ui.html', entry: 'ui/main.tsx', maxKb: 90 },
  { name: 'sandbox (dist/code.js)', file: 'dist/code.js', entry: 'plugin/main.ts', maxKb: 50 }
]

const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`

/** Bytes of minified output by where they come from: a package under node_modules, or a folder of ours. */
async function originsAsync(entry: string): Promise<Map<string, number>> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    format: 'iife',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: 'dist/bench/bundle-origins',
    define: { __KONTEXT_DEFAULT_RELAY_URL__: JSON.stringify('http://localhost:8787') },
    loader: { '.css': 'css' },
    logLevel: 'error'
  })
  const origins = new Map<string, number>()
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const parts = path.split('/')
      const origin =
        parts[0] === 'node_modules' ? parts.slice(0, parts[1]!.startsWith('@') ? 3 : 2).join('/') : parts.length > 1 ? `${parts[0]}/` : path
      origins.set(origin, (origins.get(origin) ?? 0) + input.bytesInOutput)
    }
  }
  return origins
}

/** The bundles Figma loads each time the plugin opens, against their targets, with what they are made of. */
export async function measureBundleSizeAsync(): Promise<Section> {
  const measured = await Promise.all(
    TARGETS.map(async (target) => ({ ...target, bytes: statSync(target.file).size, origins: await originsAsync(target.entry) }))
  )
  return {
    title: 'Bundle sizes',
    method:
      'The files `npm run build` writes and Figma loads on every open: dist/ui.html (the panel, its script and styles inline) and dist/code.js (the sandbox). What each is made of is esbuild’s metafile of the same entry, minified (bytes of output by source; the panel’s styles are counted under ui/).',
    tables: measured.map((bundle) => ({
      caption: `${bundle.name}: ${kb(bundle.bytes)}`,
      headers: ['From', 'Bytes', 'Share'],
      rows: [...bundle.origins]
        .sort((a, b) => b[1] - a[1])
        .map(([origin, bytes]) => {
          const total = [...bundle.origins.values()].reduce((sum, value) => sum + value, 0)
          return [origin, kb(bytes), `${((100 * bytes) / total).toFixed(0)} %`]
        })
    })),
    targets: measured.map((bundle) => ({
      name: bundle.name,
      target: `≤ ${bundle.maxKb} kB`,
      measured: kb(bundle.bytes),
      pass: bundle.bytes <= bundle.maxKb * 1000
    })),
    notes: []
  }
}
