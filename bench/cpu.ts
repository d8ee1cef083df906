import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const TICKS_PER_SECOND = 100

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/** This process's own CPU time so far, in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

/** The functions that used the most CPU (self time) in a V8 .cpuprofile written by --cpu-prof into `dir`. */
export function topFunctions(dir: string, count: number): { busyMs: number; rows: Array<{ name: string; ms: number; share: number }> } {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
  if (file === undefined) return { busyMs: 0, rows: [] }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map<string, number>()
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)!.callFrame
    const where = frame.url === '' ? '' : ` (${frame.url.split('/').slice(-1)[0]})`
    const name = `${frame.functionName || '(anonymous)'}${where}`
    selfUs.set(name, (selfUs.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  selfUs.delete('(idle)')
  selfUs.delete('(program)')
  const busy = [...selfUs.values()].reduce((sum, value) => sum + value, 0)
  const rows = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / busy }))
  return { busyMs: busy / 1000, rows }
}

/** Self time of a V8 .cpuprofile in `dir`, summed by the first kind whose test matches each sample's function and file; the rest is "other". */
export function profileByKind(
  dir: string,
  kinds: ReadonlyArray<{ name: string; test: (functionName: string, file: string) => boolean }>
): { busyMs: number; rows: Array<{ name: string; ms: number; share: number }> } {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
  if (file === undefined) return { busyMs: 0, rows: [] }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const byKind = new Map<string, number>([...kinds.map((kind) => [kind.name, 0] as const), ['Other', 0]])
  let busy = 0
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)!.callFrame
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return
    const us = profile.timeDeltas[index] ?? 0
    busy += us
    const fileName = frame.url.split('/').slice(-1)[0] ?? ''
    const kind = kinds.find((candidate) => candidate.test(frame.functionName, fileName))?.name ?? 'Other'
    byKind.set(kind, byKind.get(kind)! + us)
  })
  const rows = [...byKind].map(([name, us]) => ({ name, ms: us / 1000, share: busy === 0 ? 0 : us / busy }))
  return { busyMs: busy / 1000, rows }
}
