/**
 * The byte cap for reading a host's answer (readTextAsync), set per host by the outbound fetch
 * that returned the response, so every adapter gets its host's cap without passing it.
 */
export const answerCaps = new WeakMap<Response, number>()
