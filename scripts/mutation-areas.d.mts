/** Types for scripts/mutation-areas.mjs (plain JS, so Stryker's config can import it without a build). */
export interface MutationArea {
  readonly name: string
  readonly mutate: readonly string[]
  readonly tests: string[]
  /** Test files of `tests` left out (too slow under instrumentation, covered otherwise). */
  readonly exclude?: string[]
}
export declare const MUTATION_AREAS: readonly MutationArea[]
export declare function currentMutationArea(): MutationArea
