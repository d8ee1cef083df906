/** Millionths of a dollar back to dollars (see to-micros.ts). */
export function fromMicros(micros: number): number {
  return micros / 1_000_000
}
