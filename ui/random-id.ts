/**
 * A random id for matching replies to requests. crypto.randomUUID exists only in secure
 * contexts, which an opaque-origin plugin iframe need not be; getRandomValues works everywhere.
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
