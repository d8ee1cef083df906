/** Types for scripts/mutation-areas.mjs (plain JS, so Stryker's config can import it without a build). */
export interface MutationArea {
  readonly name: string
  readonly mutate: readonly string[]
  readonly tests: string[]
}
export declare const MUTATION_AREAS: readonly MutationArea[]
export declare function currentMutationArea(): MutationArea
