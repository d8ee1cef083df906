/** A host's answer as JSON, or undefined when it is not JSON (the adapter then says what it got). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
