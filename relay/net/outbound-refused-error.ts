/** Thrown where a connection to a refused address is stopped (the Node connector's lookup). */
export const OUTBOUND_REFUSED_CODE = 'EKONTEXT_OUTBOUND_REFUSED'

export class OutboundRefusedError extends Error {
  readonly code = OUTBOUND_REFUSED_CODE
  constructor(message: string) {
    super(message)
    this.name = 'OutboundRefusedError'
  }
}
