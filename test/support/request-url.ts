/** The URL a `fetch` stand-in was called with, whichever form `fetch` allows for it. */
export function requestUrl(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input
  return input instanceof URL ? input.href : input.url
}
