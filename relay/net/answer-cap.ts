/**
 * The byte cap for reading a host's answer (readTextAsync), set per host by the outbound fetch
 * that returned the response, so every adapter gets its host's cap without passing it.
 */
const caps = new WeakMap<Response, number>()

export function setAnswerCap(response: Response, maxBytes: number): void {
  caps.set(response, maxBytes)
}

export function answerCapOf(response: Response): number | undefined {
  return caps.get(response)
}
