import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'

export interface Table {
  caption?: string
  headers: string[]
  rows: string[][]
}

export interface Target {
  name: string
  target: string
  measured: string
  /** undefined: not measured (e.g. Chromium missing); 'reported': a figure the issue asks for without a target. */
  pass: boolean | undefined | 'reported'
}

export interface Section {
  title: string
  /** What was measured and how, in a few sentences. */
  method: string
  tables: Table[]
  targets: Target[]
  /** Why a target fails, and anything else a reader needs to weigh the figures. */
  notes: string[]
  seconds?: number
  /** 1-minute load average at the section's start and end. */
  load?: [number, number]
}

const verdict = (pass: Target['pass']): string =>
  pass === undefined ? 'NOT MEASURED' : pass === 'reported' ? 'reported' : pass ? 'PASS' : 'FAIL'

export function markdownTable(table: Table): string {
  const line = (cells: string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`
  const lines = [line(table.headers), line(table.headers.map(() => '---')), ...table.rows.map(line)]
  return `${table.caption === undefined ? '' : `${table.caption}\n\n`}${lines.join('\n')}`
}

/** A plain-text table for the terminal. */
export function textTable(table: Table): string {
  const widths = table.headers.map((header, column) => Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd()
  return [
    ...(table.caption === undefined ? [] : [table.caption]),
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line)
  ].join('\n')
}

export function printSection(section: Section): void {
  const out: string[] = [
    ``,
    `== ${section.title}${section.seconds === undefined ? '' : ` (${section.seconds.toFixed(0)} s${section.load === undefined ? '' : `, load ${section.load[0].toFixed(1)} → ${section.load[1].toFixed(1)}`})`}`
  ]
  for (const table of section.tables) out.push(textTable(table), '')
  for (const target of section.targets)
    out.push(`  ${verdict(target.pass).padEnd(12)} ${target.name}: ${target.measured} (target ${target.target})`)
  for (const note of section.notes) out.push(`  - ${note}`)
  process.stdout.write(`${out.join('\n')}\n`)
}

function versionOf(packageName: string): string {
  try {
    return (JSON.parse(readFileSync(`node_modules/${packageName}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

export function chromiumVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'not found'
  }
}

export interface Machine {
  cpu: string
  cores: number
  memory: string
  os: string
  node: string
  chromium: string
  packages: Record<string, string>
  loadBefore: number[]
}

export function describeMachine(chromiumPath: string): Machine {
  let os = `${process.platform} ${process.arch}`
  try {
    const release = readFileSync('/etc/os-release', 'utf8')
    os = `${/^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? os}, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`
  } catch {
    // not Linux
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os,
    node: process.version,
    chromium: chromiumVersion(chromiumPath),
    packages: Object.fromEntries(
      ['hono', '@hono/node-server', '@fal-ai/server-proxy', 'playwright-core', 'pngjs', 'esbuild', 'typescript', 'zod'].map((name) => [
        name,
        versionOf(name)
      ])
    ),
    loadBefore: loadavg()
  }
}

const SUMMARY_HEADERS = ['Figure', 'Target', 'Measured', 'Verdict']

export function renderMarkdown(machine: Machine, sections: Section[], started: Date, totalSeconds: number, retried = 0): string {
  const load = (values: number[]): string => values.map((value) => value.toFixed(2)).join(', ')
  const parts: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/) on ${started.toISOString().slice(0, 10)} at ${started.toISOString().slice(11, 16)} UTC, in ${Math.round(totalSeconds)} s. Every comparison ran both of its sides in this same run, against fakes on 127.0.0.1; no timed assertion is part of \`npm test\`.`,
    '',
    '## Machine',
    '',
    markdownTable({
      headers: ['', ''],
      rows: [
        ['CPU', `${machine.cpu}, ${machine.cores} cores`],
        ['Memory', machine.memory],
        ['OS', machine.os],
        ['Node.js', machine.node],
        ['Chromium', machine.chromium],
        [
          'Packages',
          Object.entries(machine.packages)
            .map(([name, version]) => `${name} ${version}`)
            .join(', ')
        ],
        ['Load average (1, 5, 15 min)', `${load(machine.loadBefore)} at the start; ${load(loadavg())} at the end`]
      ]
    }),
    '',
    machine.loadBefore[0]! > 0.5
      ? `The machine was not idle when the run started (1-minute load ${machine.loadBefore[0]!.toFixed(2)} on ${machine.cores} cores): latencies and especially the 256-edit figures include waiting for a core. Run again on a quiet machine for cleaner figures.\n`
      : '',
    retried > 0
      ? `${retried} edits were run again after a connection error (a kept-alive connection the server closed just as the client reused it); only the successful attempt is timed.\n`
      : '',
    '## Summary',
    '',
    markdownTable({
      headers: SUMMARY_HEADERS,
      rows: sections.flatMap((section) =>
        section.targets.map((target) => [
          `${section.title}: ${target.name}`,
          target.target,
          target.measured,
          target.pass === 'reported' ? verdict(target.pass) : `**${verdict(target.pass)}**`
        ])
      )
    }),
    ''
  ]
  for (const section of sections) {
    parts.push(`## ${section.title}`, '', section.method, '')
    if (section.seconds !== undefined && section.load !== undefined)
      parts.push(
        `*${section.seconds.toFixed(0)} s; 1-minute load average ${section.load[0].toFixed(2)} at the start, ${section.load[1].toFixed(2)} at the end.*`,
        ''
      )
    for (const table of section.tables) parts.push(markdownTable(table), '')
    if (section.targets.length > 0) {
      parts.push(
        markdownTable({
          headers: ['Target', 'Wanted', 'Measured', 'Verdict'],
          rows: section.targets.map((target) => [
            target.name,
            target.target,
            target.measured,
            target.pass === 'reported' ? verdict(target.pass) : `**${verdict(target.pass)}**`
          ])
        }),
        ''
      )
    }
    for (const note of section.notes) parts.push(`- ${note}`)
    if (section.notes.length > 0) parts.push('')
  }
  return `${parts
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`
}
