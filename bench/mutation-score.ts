import { existsSync, readFileSync } from 'node:fs'
import type { Section } from './report'

/** Where `npm run mutation` (scripts/mutation-report.mjs) records its last figures; committed with the code it measured. */
export const MUTATION_SCORE_FILE = 'bench/recorded/mutation-score.json'

interface RecordedScore {
  date: string
  commit: string
  overall: number
  detected: number
  valid: number
  files: Array<{ path: string; detected: number; valid: number; score: number }>
}

/**
 * The mutation score beside the measured figures. It is not measured here (a run takes tens of
 * minutes): this section shows what `npm run mutation` last recorded, with its date and commit.
 */
export async function measureMutationScoreAsync(): Promise<Section> {
  const method =
    'StrykerJS 9.6.1 over relay/providers/shared, relay/jobs, relay/auth, relay/usage, relay/images, relay/http, shared and plugin/{place,export,selection,area}, with the vitest runner (per-test coverage) and the TypeScript checker, each area against the tests aimed at it (scripts/mutation-areas.mjs; a lower bound on the whole suite): `npm run mutation`, which records its result in ' +
    `${MUTATION_SCORE_FILE}; this section reads that record.`
  if (!existsSync(MUTATION_SCORE_FILE)) {
    return {
      title: 'Mutation score',
      method,
      tables: [],
      targets: [
        { name: 'mutation score, all mutated files', target: '≥ 90 %, each file ≥ 80 %', measured: 'not recorded yet', pass: undefined }
      ],
      notes: []
    }
  }
  const recorded = JSON.parse(readFileSync(MUTATION_SCORE_FILE, 'utf8')) as RecordedScore
  const below = recorded.files.filter((file) => file.score < 80)
  const lowest = [...recorded.files].sort((a, b) => a.score - b.score).slice(0, 10)
  return {
    title: 'Mutation score',
    method,
    tables: [
      {
        caption: `The ten lowest files, as recorded on ${recorded.date} at ${recorded.commit}`,
        headers: ['File', 'Detected', 'Score'],
        rows: lowest.map((file) => [file.path, `${file.detected} of ${file.valid}`, `${file.score.toFixed(1)} %`])
      }
    ],
    targets: [
      {
        name: `mutation score, ${recorded.files.length} files (${recorded.date}, ${recorded.commit})`,
        target: '≥ 90 %',
        measured: `${recorded.overall.toFixed(1)} % (${recorded.detected} of ${recorded.valid})`,
        pass: recorded.overall >= 90
      },
      { name: 'files under 80 %', target: '0', measured: String(below.length), pass: below.length === 0 }
    ],
    notes: []
  }
}
