import { describe, expect, it } from 'vitest'
import { plainTokenOwnerAsync } from '../../relay/auth/plain-token-owner-async'
import { DEFAULT_REQUESTS_PER_MINUTE, resolveAccountsAsync } from '../../relay/auth/resolve-accounts-async'
import { DEFAULT_MAX_RUNNING_EDITS } from '../../relay/jobs/edit-capacity'
import { parseTokensFile } from '../../relay/auth/tokens-file'
import { parseRelayConfig } from '../../relay/config'
import { ConfigError } from '../../relay/config-error'
import { ALICE, BOB, OPS, PLAIN_TOKEN, readFile, TEAM_TOKENS, tempDir, writeTokensFile } from './team-harness'

function configError(env: Record<string, string>): string {
  try {
    parseRelayConfig(env, { readFile })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('the configuration was accepted')
}

function fileError(content: unknown): string {
  return configError({ RELAY_TOKENS_FILE: writeTokensFile(tempDir(), content) })
}

describe('a good tokens file', () => {
  it('gives each token its owner, daily budget, rate, role and running edits (default 4)', () => {
    const config = parseRelayConfig({ RELAY_TOKENS_FILE: writeTokensFile(tempDir(), TEAM_TOKENS) }, { readFile })
    expect(config.tokens).toEqual([])
    expect(DEFAULT_MAX_RUNNING_EDITS).toBe(4)
    expect(config.accounts).toEqual([
      { token: ALICE.token, owner: 'alice', dailyBudgetUsd: 1, requestsPerMinute: 20, role: 'user', maxRunningEdits: 4 },
      { token: BOB.token, owner: 'bob', dailyBudgetUsd: null, requestsPerMinute: 20, role: 'user', maxRunningEdits: 4 },
      { token: OPS.token, owner: 'ops', dailyBudgetUsd: null, requestsPerMinute: 20, role: 'operator', maxRunningEdits: 4 }
    ])
  })

  it('takes maxRunningEdits per token', () => {
    const parsed = parseTokensFile(JSON.stringify({ tokens: [{ ...TEAM_TOKENS.tokens[0], maxRunningEdits: 12 }] }))
    expect(parsed).toMatchObject({ ok: true, accounts: [{ owner: 'alice', maxRunningEdits: 12 }] })
  })

  it('takes owners with spaces, dots and @, a zero budget and an explicit user role', () => {
    const parsed = parseTokensFile(
      JSON.stringify({
        tokens: [{ token: ALICE.token, owner: ' Design Team @acme.io ', dailyBudgetUsd: 0, requestsPerMinute: 1, role: 'user' }]
      })
    )
    expect(parsed).toEqual({
      ok: true,
      accounts: [
        { token: ALICE.token, owner: 'Design Team @acme.io', dailyBudgetUsd: 0, requestsPerMinute: 1, role: 'user', maxRunningEdits: 4 }
      ]
    })
  })

  it('keeps RELAY_TOKENS beside it: those tokens have no budget, the default rate and the default running edits', async () => {
    const config = parseRelayConfig({ RELAY_TOKENS_FILE: writeTokensFile(tempDir(), TEAM_TOKENS), RELAY_TOKENS: PLAIN_TOKEN }, { readFile })
    const accounts = await resolveAccountsAsync(config.accounts, config.tokens)
    expect(accounts.map((account) => account.owner)).toEqual(['alice', 'bob', 'ops', await plainTokenOwnerAsync(PLAIN_TOKEN)])
    expect(accounts[3]).toEqual({
      token: PLAIN_TOKEN,
      owner: expect.stringMatching(/^token-[0-9a-f]{12}$/),
      dailyBudgetUsd: null,
      requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
      role: 'user',
      maxRunningEdits: DEFAULT_MAX_RUNNING_EDITS
    })
    expect(accounts[3]!.owner).not.toContain(PLAIN_TOKEN.slice(0, 8))
  })

  it('reads the new variables with their defaults', () => {
    expect(parseRelayConfig({})).toMatchObject({
      accounts: [],
      tokensFile: undefined,
      dataDir: '.relay-data',
      logPrompts: false,
      shutdownGraceMs: 25_000,
      maxRunningEdits: 32,
      maxInflightBytes: 128 * 1024 * 1024
    })
    expect(parseRelayConfig({ RELAY_MAX_RUNNING_EDITS: '8', RELAY_MAX_INFLIGHT_MB: '64' })).toMatchObject({
      maxRunningEdits: 8,
      maxInflightBytes: 64 * 1024 * 1024
    })
    expect(parseRelayConfig({ LOG_PROMPTS: '1', RELAY_DATA_DIR: '/var/lib/kontext', SHUTDOWN_GRACE_SECONDS: '5' })).toMatchObject({
      dataDir: '/var/lib/kontext',
      logPrompts: true,
      shutdownGraceMs: 5000
    })
  })
})

describe('a bad tokens file stops the relay with a message naming the entry and field', () => {
  it.each([
    ['not JSON', '{ "tokens": [ { "token": ', /not valid JSON/],
    ['no tokens list', {}, /tokens: is required: a list of/],
    ['tokens that are not a list', { tokens: 'abc' }, /tokens: must be a list of/],
    ['an empty list', { tokens: [] }, /tokens: needs at least one token/],
    ['a missing owner', { tokens: [{ token: ALICE.token, dailyBudgetUsd: 1, requestsPerMinute: 5 }] }, /tokens\[0\]\.owner: is required/],
    [
      'a missing budget',
      { tokens: [{ token: ALICE.token, owner: 'a', requestsPerMinute: 5 }] },
      /tokens\[0\]\.dailyBudgetUsd: is required: a number \(USD a UTC day\), or null for no budget/
    ],
    [
      'a budget as a string',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: '5', requestsPerMinute: 5 }] },
      /tokens\[0\]\.dailyBudgetUsd: must be a number \(USD a UTC day\), or null/
    ],
    [
      'a negative budget',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: -1, requestsPerMinute: 5 }] },
      /tokens\[0\]\.dailyBudgetUsd: must be 0 or more/
    ],
    ['a missing rate', { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: 1 }] }, /tokens\[0\]\.requestsPerMinute: is required/],
    [
      'a fractional rate',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 1.5 }] },
      /requestsPerMinute: must be a whole number/
    ],
    [
      'a zero rate',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 0 }] },
      /requestsPerMinute: must be at least 1/
    ],
    [
      'a short token',
      { tokens: [{ token: 'short', owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 5 }] },
      /tokens\[0\]\.token: must have at least 16 characters/
    ],
    [
      'a token with a space',
      { tokens: [{ token: 'has a space in it!!', owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 5 }] },
      /tokens\[0\]\.token: may use only/
    ],
    [
      'an unknown role',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 5, role: 'admin' }] },
      /tokens\[0\]\.role: must be "user" or "operator"/
    ],
    [
      'an unknown field',
      { tokens: [{ token: ALICE.token, owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 5, budget: 3 }] },
      /tokens\[0\]: unknown field budget/
    ],
    [
      'an owner with a newline',
      { tokens: [{ token: ALICE.token, owner: 'a\nb', dailyBudgetUsd: 1, requestsPerMinute: 5 }] },
      /tokens\[0\]\.owner: may use only/
    ],
    [
      'the same owner twice',
      { tokens: [{ ...TEAM_TOKENS.tokens[0] }, { ...TEAM_TOKENS.tokens[1], owner: 'Alice' }] },
      /tokens\[1\]\.owner: "Alice" is already the owner of tokens\[0\]/
    ],
    [
      'the same token twice',
      { tokens: [{ ...TEAM_TOKENS.tokens[0] }, { ...TEAM_TOKENS.tokens[1], token: ALICE.token }] },
      /tokens\[1\]\.token: is the same token as tokens\[0\]/
    ],
    [
      'a zero maxRunningEdits',
      { tokens: [{ ...TEAM_TOKENS.tokens[0], maxRunningEdits: 0 }] },
      /tokens\[0\]\.maxRunningEdits: must be at least 1/
    ],
    [
      'a fractional maxRunningEdits',
      { tokens: [{ ...TEAM_TOKENS.tokens[0], maxRunningEdits: 2.5 }] },
      /tokens\[0\]\.maxRunningEdits: must be a whole number/
    ],
    // RELAY_TOKENS tokens are owned by token-<12 hex>: a file owner of that shape would share their jobs and budget.
    [
      'an owner named like a RELAY_TOKENS owner',
      { tokens: [{ ...TEAM_TOKENS.tokens[0], owner: 'token-0123456789ab' }] },
      /tokens\[0\]\.owner: must not look like token-<12 hex digits>/
    ],
    [
      'the same, in capitals',
      { tokens: [{ ...TEAM_TOKENS.tokens[0], owner: 'TOKEN-0123456789AB' }] },
      /tokens\[0\]\.owner: must not look like token-/
    ]
  ])('%s', (_name, content, message) => {
    const text = fileError(content)
    expect(text).toMatch(/^The tokens file .*tokens\.json \(RELAY_TOKENS_FILE\) is not valid:/)
    expect(text).toMatch(message)
    expect(text).toContain('docs/team-relay.md')
    // The message names entries, never a token's value.
    expect(text).not.toContain(ALICE.token)
  })

  it('refuses an owner that is the derived owner of a RELAY_TOKENS token, so it cannot see that token’s edits', async () => {
    const derived = await plainTokenOwnerAsync(PLAIN_TOKEN)
    const text = configError({
      RELAY_TOKENS_FILE: writeTokensFile(tempDir(), { tokens: [{ ...TEAM_TOKENS.tokens[0], owner: derived }] }),
      RELAY_TOKENS: PLAIN_TOKEN
    })
    expect(text).toMatch(/tokens\[0\]\.owner: must not look like token-<12 hex digits>/)
    expect(text).not.toContain(PLAIN_TOKEN)
    // And if two accounts ever share an owner anyway, the relay does not start with them.
    await expect(
      resolveAccountsAsync(
        [{ token: ALICE.token, owner: derived, dailyBudgetUsd: null, requestsPerMinute: 5, role: 'user', maxRunningEdits: 4 }],
        [PLAIN_TOKEN]
      )
    ).rejects.toThrow(/Two access tokens have the owner name/)
  })

  it.each([
    [
      'a missing quote after a token',
      `{ "tokens": [ { "token": "${ALICE.token}, "owner": "alice", "dailyBudgetUsd": 1, "requestsPerMinute": 5 } ] }`
    ],
    ['a token without quotes', `{ "tokens": [ { "token": ${ALICE.token}, "owner": "alice" } ] }`],
    [
      'a token as a field name',
      JSON.stringify({ tokens: [{ [ALICE.token]: 'alice', token: BOB.token, owner: 'bob', dailyBudgetUsd: 1, requestsPerMinute: 5 }] })
    ],
    ['a trailing comma after a token', `{ "tokens": [ { "owner": "alice", "token": "${ALICE.token}", } ] }`]
  ])('never prints token text in its error: %s', (_name, text) => {
    const message = fileError(text)
    console.log(`tokens-file: error for ${_name}: ${message.split('\n')[1]?.trim()}`)
    for (const token of [ALICE.token, BOB.token]) {
      for (let start = 0; start + 6 <= token.length; start += 1) expect(message).not.toContain(token.slice(start, start + 6))
    }
  })

  it('says when the file does not exist', () => {
    expect(configError({ RELAY_TOKENS_FILE: '/no/such/tokens.json' })).toBe(
      'RELAY_TOKENS_FILE is /no/such/tokens.json, but it cannot be read: there is no such file.'
    )
  })

  it('refuses a token that is in the file and in RELAY_TOKENS', () => {
    expect(configError({ RELAY_TOKENS_FILE: writeTokensFile(tempDir(), TEAM_TOKENS), RELAY_TOKENS: BOB.token })).toMatch(
      /tokens\[1\] of .* is also in RELAY_TOKENS/
    )
  })

  it('refuses the file where the runtime cannot read files', () => {
    expect(() => parseRelayConfig({ RELAY_TOKENS_FILE: 'tokens.json' })).toThrow(/cannot read files/)
  })

  it.each([
    [{ LOG_PROMPTS: 'yes' }, 'LOG_PROMPTS'],
    [{ SHUTDOWN_GRACE_SECONDS: '-1' }, 'SHUTDOWN_GRACE_SECONDS'],
    [{ RELAY_DATA_DIR: ' ' }, 'RELAY_DATA_DIR']
  ])('refuses %j', (env, name) => {
    expect(configError(env)).toContain(name)
  })
})

describe('parseTokensFile at the edges of each field', () => {
  const entry = { token: ALICE.token, owner: 'alice', dailyBudgetUsd: 1, requestsPerMinute: 5 }
  const parse = (fields: Record<string, unknown>): ReturnType<typeof parseTokensFile> =>
    parseTokensFile(JSON.stringify({ tokens: [{ ...entry, ...fields }] }))
  const accepted = (fields: Record<string, unknown>): unknown => {
    const parsed = parse(fields)
    expect(parsed, JSON.stringify(fields)).toMatchObject({ ok: true })
    return parsed.ok ? parsed.accounts[0] : undefined
  }
  const problems = (fields: Record<string, unknown>): string[] => {
    const parsed = parse(fields)
    expect(parsed.ok, JSON.stringify(fields)).toBe(false)
    return parsed.ok ? [] : parsed.problems
  }

  it('token: 16 characters or more, token68 only (letters, digits, . _ ~ + / -, then = padding)', () => {
    const pattern = 'tokens[0].token: may use only letters, digits and . _ ~ + / - (and = at the end)'
    expect(problems({ token: 'a'.repeat(15) })).toEqual(['tokens[0].token: must have at least 16 characters, so it cannot be guessed'])
    expect(accepted({ token: 'a'.repeat(16) })).toMatchObject({ token: 'a'.repeat(16) })
    expect(accepted({ token: 'Az09._~+/-Az09._~+/-' })).toMatchObject({ token: 'Az09._~+/-Az09._~+/-' })
    expect(accepted({ token: `${'b'.repeat(16)}=` })).toMatchObject({ owner: 'alice' })
    expect(accepted({ token: `${'b'.repeat(16)}==` })).toMatchObject({ owner: 'alice' })
    for (const token of [
      `!${'a'.repeat(16)}`,
      `${'a'.repeat(16)}!`,
      `=${'a'.repeat(16)}`,
      `${'a'.repeat(8)}=${'a'.repeat(8)}`,
      `${'a'.repeat(16)}==a`
    ]) {
      expect(problems({ token }), token).toEqual([pattern])
    }
    expect(problems({ token: 12 })).toEqual(['tokens[0].token: must be a string: the secret the plugin sends'])
    expect(parseTokensFile(JSON.stringify({ tokens: [{ owner: 'a', dailyBudgetUsd: 1, requestsPerMinute: 5 }] }))).toEqual({
      ok: false,
      problems: ['tokens[0].token: is required: a string: the secret the plugin sends']
    })
  })

  it('owner: 1 to 64 characters once trimmed, letters, digits, spaces and . _ @ + - only', () => {
    const sixtyFour = 'o'.repeat(64)
    expect(accepted({ owner: sixtyFour })).toMatchObject({ owner: sixtyFour })
    expect(accepted({ owner: `  ${sixtyFour}  ` })).toMatchObject({ owner: sixtyFour })
    expect(problems({ owner: `${sixtyFour}o` })).toEqual(['tokens[0].owner: can have at most 64 characters'])
    const empty = ['tokens[0].owner: must not be empty', 'tokens[0].owner: may use only letters, digits, spaces and . _ @ + -']
    expect(problems({ owner: '' })).toEqual(empty)
    expect(problems({ owner: '   ' })).toEqual(empty)
    expect(accepted({ owner: 'José Müller 7 a.b_c@d+e-f' })).toMatchObject({ owner: 'José Müller 7 a.b_c@d+e-f' })
    expect(accepted({ owner: '名前' })).toMatchObject({ owner: '名前' })
    for (const owner of ['<b', 'b<', 'a/b', 'a:b', 'a"b']) {
      expect(problems({ owner }), owner).toEqual(['tokens[0].owner: may use only letters, digits, spaces and . _ @ + -'])
    }
    expect(problems({ owner: 7 })).toEqual(['tokens[0].owner: must be a string: a name for the person or team using this token'])
  })

  it('owner: only the whole shape token-<12 hex digits> is kept for RELAY_TOKENS', () => {
    const reserved = ['tokens[0].owner: must not look like token-<12 hex digits>: those names belong to tokens from RELAY_TOKENS']
    expect(problems({ owner: 'token-abcdef012345' })).toEqual(reserved)
    for (const owner of ['xtoken-0123456789ab', 'token-0123456789abc', 'token-0123456789a', 'token-0123456789ag', 'token 0123456789ab']) {
      expect(accepted({ owner }), owner).toMatchObject({ owner })
    }
  })

  it('dailyBudgetUsd: null, or 0 to 1000000', () => {
    expect(accepted({ dailyBudgetUsd: null })).toMatchObject({ dailyBudgetUsd: null })
    expect(accepted({ dailyBudgetUsd: 0 })).toMatchObject({ dailyBudgetUsd: 0 })
    expect(accepted({ dailyBudgetUsd: 0.01 })).toMatchObject({ dailyBudgetUsd: 0.01 })
    expect(accepted({ dailyBudgetUsd: 1_000_000 })).toMatchObject({ dailyBudgetUsd: 1_000_000 })
    expect(problems({ dailyBudgetUsd: 1_000_000.01 })).toEqual(['tokens[0].dailyBudgetUsd: must be at most 1000000'])
    expect(problems({ dailyBudgetUsd: -0.01 })).toEqual(['tokens[0].dailyBudgetUsd: must be 0 or more'])
  })

  it('requestsPerMinute: a whole number from 1 to 10000', () => {
    expect(accepted({ requestsPerMinute: 1 })).toMatchObject({ requestsPerMinute: 1 })
    expect(accepted({ requestsPerMinute: 10_000 })).toMatchObject({ requestsPerMinute: 10_000 })
    expect(problems({ requestsPerMinute: 10_001 })).toEqual(['tokens[0].requestsPerMinute: must be at most 10000'])
    expect(problems({ requestsPerMinute: 0 })).toEqual(['tokens[0].requestsPerMinute: must be at least 1'])
    expect(problems({ requestsPerMinute: '5' })).toEqual([
      'tokens[0].requestsPerMinute: must be a number: how many edits a minute the token may start'
    ])
  })

  it('maxRunningEdits: a whole number from 1 to 1000, 4 when left out', () => {
    expect(accepted({})).toMatchObject({ maxRunningEdits: 4 })
    expect(accepted({ maxRunningEdits: 1 })).toMatchObject({ maxRunningEdits: 1 })
    expect(accepted({ maxRunningEdits: 1000 })).toMatchObject({ maxRunningEdits: 1000 })
    expect(problems({ maxRunningEdits: 1001 })).toEqual(['tokens[0].maxRunningEdits: must be at most 1000'])
    expect(problems({ maxRunningEdits: null })).toEqual([
      'tokens[0].maxRunningEdits: must be a number: how many edits the token may have running at once'
    ])
  })

  it('role: user (the default) or operator', () => {
    expect(accepted({})).toMatchObject({ role: 'user' })
    expect(accepted({ role: 'operator' })).toMatchObject({ role: 'operator' })
    expect(problems({ role: 1 })).toEqual(['tokens[0].role: must be "user" or "operator"'])
  })
})

describe('parseTokensFile’s problems', () => {
  it('name every problem of every entry, and each duplicate’s first entry', () => {
    const tokens = [
      { token: ALICE.token, owner: 'alice', dailyBudgetUsd: 1, requestsPerMinute: 5 },
      { token: BOB.token, owner: 'bob', dailyBudgetUsd: 1, requestsPerMinute: 5 },
      { token: BOB.token, owner: 'BOB', dailyBudgetUsd: 1, requestsPerMinute: 5 },
      { token: OPS.token, owner: 'ops', dailyBudgetUsd: -1, requestsPerMinute: 0 }
    ]
    expect(parseTokensFile(JSON.stringify({ tokens }))).toEqual({
      ok: false,
      problems: [
        'tokens[3].dailyBudgetUsd: must be 0 or more',
        'tokens[3].requestsPerMinute: must be at least 1',
        'tokens[2].token: is the same token as tokens[1]; each token must be different',
        'tokens[2].owner: "BOB" is already the owner of tokens[1]; each owner has one token (budgets are per owner)'
      ]
    })
  })

  it('compare owners in lower case: "Straße" and "STRASSE" are two owners', () => {
    const tokens = [
      { token: ALICE.token, owner: 'Straße', dailyBudgetUsd: 1, requestsPerMinute: 5 },
      { token: BOB.token, owner: 'STRASSE', dailyBudgetUsd: 1, requestsPerMinute: 5 }
    ]
    expect(parseTokensFile(JSON.stringify({ tokens }))).toMatchObject({ ok: true, accounts: [{ owner: 'Straße' }, { owner: 'STRASSE' }] })
  })

  it('say "the file" for the file itself, and list unknown fields by name when they look like names', () => {
    expect(parseTokensFile('[]')).toEqual({ ok: false, problems: ['the file: Invalid input: expected object, received array'] })
    expect(parseTokensFile(JSON.stringify({ tokens: [], extra: 1 }))).toEqual({
      ok: false,
      problems: ['tokens: needs at least one token', 'the file: unknown field extra']
    })
    const entry = { token: ALICE.token, owner: 'alice', dailyBudgetUsd: 1, requestsPerMinute: 5 }
    expect(parseTokensFile(JSON.stringify({ tokens: [{ ...entry, abcdefghijklmno: 1, budget: 2 }] }))).toEqual({
      ok: false,
      problems: ['tokens[0]: unknown fields abcdefghijklmno, budget']
    })
    expect(parseTokensFile(JSON.stringify({ tokens: [{ ...entry, abcdefghijklmnop: 1, rate2: 2, '': 3 }] }))).toEqual({
      ok: false,
      problems: [
        'tokens[0]: unknown fields (a name that is not shown, as it may be a token), (a name that is not shown, as it may be a token), (a name that is not shown, as it may be a token)'
      ]
    })
  })

  it('say where in the text JSON broke, when JSON.parse gives a position', () => {
    expect(parseTokensFile('{\n  "tokens": 1,\n  }')).toEqual({
      ok: false,
      problems: ['it is not valid JSON (line 3, column 3); check the quotes, commas and brackets']
    })
    expect(parseTokensFile('{"tokens": 1,}')).toEqual({
      ok: false,
      problems: ['it is not valid JSON (line 1, column 14); check the quotes, commas and brackets']
    })
    expect(parseTokensFile('')).toEqual({ ok: false, problems: ['it is not valid JSON; check the quotes, commas and brackets'] })
  })
})
