/**
 * Vitest setup file (vitest.config.ts `setupFiles`): taps every relay built with `createRelay` in
 * any test file, for the suite-wide leak check (see leak-sink.ts). The tap is transparent: the same
 * relay, whose log sink and `app.fetch` also copy into the leak sink.
 */
import { afterAll, expect, vi } from 'vitest'
import { recordLog, recordResponse, registerAccessToken, registerHostKey, scanAndResetAsync } from './leak-sink'

vi.mock('../../relay/relay', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../relay/relay')>()
  const createRelay: typeof actual.createRelay = (config, deps) => {
    for (const host of Object.values(config.hosts)) registerHostKey(host.key)
    for (const token of config.tokens) registerAccessToken(token)
    for (const account of config.accounts) registerAccessToken(account.token)
    const relay = actual.createRelay(config, {
      ...deps,
      log: (event, fields) => {
        recordLog(event, fields)
        deps.log(event, fields)
      }
    })
    const fetchOriginal = relay.app.fetch
    relay.app.fetch = (request, env, executionCtx) => {
      const answer = fetchOriginal(request, env, executionCtx)
      if (answer instanceof Response) {
        recordResponse(answer)
        return answer
      }
      return answer.then((response) => {
        recordResponse(response)
        return response
      })
    }
    return relay
  }
  return { ...actual, createRelay }
})

afterAll(async () => {
  const summary = await scanAndResetAsync(expect.getState().testPath ?? 'unknown')
  if (summary.hits.length > 0) {
    throw new Error(
      `A host key or access token leaked into ${summary.hits.length} response(s)/log line(s):\n${summary.hits.map((hit) => `  ${hit.kind} in a ${hit.where}: …${hit.excerpt}…`).join('\n')}`
    )
  }
})
