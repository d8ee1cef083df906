/**
 * The faults every host's fake can be told to produce, by the same names, so cross-host tests
 * (test/campaign/faults.test.ts) inject them through one `failNext` without knowing the host. A fake
 * adds its own host-specific kinds beside these (`<Host>Fault = HostFault | …`); what each common
 * kind means on the wire, and whether the host has taken (and billed) the job by then, is written
 * in that fake beside its implementation, with the source it follows.
 */
export type HostFault =
  /** The submit is refused with this status (not accepted, not billed); `Retry-After` when given. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** The connection is dropped before the host takes the job (not billed). */
  | { kind: 'reset' }
  /** The submit is never answered, until the fake closes. */
  | { kind: 'hang' }
  /** The host took the job (billed), then the connection is dropped without an answer. */
  | { kind: 'reset-after-accept' }
  /** The submit is answered 200 with a body that is not JSON (the fake says whether it took the job). */
  | { kind: 'malformed' }
  /** The job runs; its result image is served cut off half way. */
  | { kind: 'truncated-image' }

export const HOST_FAULT_KINDS = [
  'status',
  'reset',
  'hang',
  'reset-after-accept',
  'malformed',
  'truncated-image'
] as const satisfies ReadonlyArray<HostFault['kind']>

/**
 * The one fault queue every fake keeps: `failNext(fault, times)` queues a fault for the next
 * `times` matching requests; the fake takes the first queued fault its handler can produce there.
 */
export class FaultQueue<Fault extends { kind: string }> {
  private readonly queued: Fault[] = []

  failNext(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.queued.push(fault)
  }

  /** Removes and returns the first queued fault that `accepts` (default: any). */
  take<Taken extends Fault = Fault>(accepts: (fault: Fault) => fault is Taken = (_fault): _fault is Taken => true): Taken | undefined {
    const index = this.queued.findIndex(accepts)
    if (index < 0) return undefined
    return this.queued.splice(index, 1)[0] as Taken
  }

  /** The first queued fault, left in the queue. */
  peek(): Fault | undefined {
    return this.queued[0]
  }

  get size(): number {
    return this.queued.length
  }

  clear(): void {
    this.queued.length = 0
  }
}
