import type { PngImage } from '../image/area-compositor'

/** What the outcome shows of a region edit, beside where its results went. */
export interface AreaSummary {
  /** “Spring Sale” in “Hero”. */
  label: string
  /** The area before the edit, at the frame render's resolution; absent when no variant could be blended. */
  before?: PngImage
  /** The same crop after, one per variant that was blended. */
  afters: PngImage[]
  /** A variant's surroundings changed more than the colour correction can hide: the designer should check the edges. */
  driftLarge: boolean
  /** Plain-words notes: the sandbox's (a lower scale for a very large frame, …) and the panel's (a result placed unblended). */
  notes: string[]
}
