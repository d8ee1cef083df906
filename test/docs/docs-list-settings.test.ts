import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { RelayEnv } from '../../relay/config'
import { HOSTS } from '../../relay/providers/hosts'
import { ProviderId } from '../../shared/models'

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

/** The docs are written by hand; these checks keep them from going stale when a host or a variable is added. */
describe('the docs list what the code reads', () => {
  const operatorGuide = read('docs/team-relay.md')
  const hostsGuide = read('docs/hosts.md')

  it('docs/team-relay.md names every variable the relay and each host read', () => {
    const variables = [...Object.keys(RelayEnv.shape), ...ProviderId.options.flatMap((id) => HOSTS[id].variables)]
    expect(variables.filter((name) => !operatorGuide.includes(`\`${name}\``))).toEqual([])
  })

  it("each host's definition carries its id, and docs/hosts.md has a chapter naming its folder", () => {
    for (const id of ProviderId.options) {
      expect(HOSTS[id].id).toBe(id)
      expect(hostsGuide, id).toContain(`relay/providers/${id}/`)
    }
  })
})
