/** A host's answer as JSON, or undefined when it is not JSON (the adapter then says what it got). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch /* Stryker disable BlockStatement: an empty catch ends the function, which returns undefined all the same */ {
    return undefined
  }
}
