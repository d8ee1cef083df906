import { describe, expect, it } from 'vitest'
import { AppError, ERROR_MESSAGES } from '../../shared/errors'
import { describeError } from '../../shared/describe-error'
import { createLogContext, createRelayLog, scrub } from '../../relay/log/relay-log'
import { createJsonLogger } from '../../relay/node/json-logger'
import { ALICE, API_KEY, itKeepsSecretsOut, REFERENCE, startTeamRelayAsync, type LogLine } from './team-harness'

const PROMPT = "Replace 'Spring Sale' with 'Summer Sale' on the hero banner"

function mentionsPrompt(lines: LogLine[]): LogLine[] {
  return lines.filter((line) => JSON.stringify(line).includes('Summer Sale'))
}

describe('what the relay logs', () => {
  it('keeps prompts out of every log line unless LOG_PROMPTS=1', async () => {
    const team = await startTeamRelayAsync()
    await team.waitForEndAsync(await team.createEditAsync({ prompt: PROMPT }))
    expect(team.logs.map((line) => line.event)).toEqual(expect.arrayContaining(['job.created', 'job.succeeded', 'http.request']))
    expect(mentionsPrompt(team.logs)).toEqual([])
    expect(team.logs.find((line) => line.event === 'job.created')?.fields.prompt).toBeUndefined()
  })

  it('logs the prompt in job.created with LOG_PROMPTS=1', async () => {
    const team = await startTeamRelayAsync({ env: { LOG_PROMPTS: '1' } })
    await team.waitForEndAsync(await team.createEditAsync({ prompt: PROMPT }))
    expect(team.logs.find((line) => line.event === 'job.created')?.fields).toMatchObject({
      prompt: PROMPT,
      provider: 'runware',
      model: 'kontext-max'
    })
  })

  it('puts the request id of the response on every log line the request wrote, the job’s and the host adapter’s too', async () => {
    const team = await startTeamRelayAsync({ env: { RUNWARE_DELIVERY: 'async' }, fake: { latencyMs: 600 } })
    const response = await team.postEditAsync({ prompt: PROMPT })
    expect(response.status).toBe(202)
    const requestId = response.headers.get('x-request-id')
    const { id } = (await response.json()) as { id: string }
    await team.relay.jobs.settleAsync()

    const fromEdit = team.logs.filter((line) => line.fields.jobId === id)
    expect(fromEdit.map((line) => line.event)).toEqual(
      expect.arrayContaining(['job.created', 'provider.submit', 'provider.poll', 'job.succeeded'])
    )
    for (const line of fromEdit) expect(line.fields.requestId, line.event).toBe(requestId)
    const access = team.logs.filter((line) => line.event === 'http.request')
    expect(access.find((line) => line.fields.path === '/v1/edits')?.fields).toMatchObject({ requestId, method: 'POST', status: 202 })
  })

  it('takes the caller’s X-Request-Id, and puts it on error answers and their log lines', async () => {
    const team = await startTeamRelayAsync()
    const response = await team.requestAsync('/v1/edits/nope', { headers: { 'x-request-id': 'panel-1234' } }, ALICE.token)
    expect(response.status).toBe(404)
    expect(response.headers.get('x-request-id')).toBe('panel-1234')
    const refused = await team.requestAsync('/v1/edits', { method: 'POST', headers: { 'x-request-id': 'panel-5678' } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('x-request-id')).toBe('panel-5678')
    expect(team.logs.filter((line) => line.fields.requestId === 'panel-5678').map((line) => line.fields.status)).toEqual([401])
  })

  it('writes one JSON object a line with time and event, and masks any secret that would slip in', () => {
    const lines: string[] = []
    const log = createJsonLogger(
      (line) => lines.push(line),
      [API_KEY, ALICE.token],
      () => Date.UTC(2025, 5, 30)
    )
    log('provider.detail', { detail: `host said: bad key ${API_KEY}`, token: ALICE.token })
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2025-06-30T00:00:00.000Z',
      event: 'provider.detail',
      detail: 'host said: bad key [redacted]',
      token: '[redacted]'
    })
  })

  it('writes an error with its causes as text, and masks a secret a cause quotes', () => {
    const lines: string[] = []
    const log = createJsonLogger(
      (line) => lines.push(line),
      [API_KEY, ALICE.token],
      () => Date.UTC(2025, 5, 30)
    )
    const hostAnswer = new TypeError(`fetch failed for Bearer ${ALICE.token}`, { cause: new Error(`key ${API_KEY} refused`) })
    const wrapped = new AppError('provider_unavailable', undefined, { detail: 'submit', cause: hostAnswer })
    log('job.failed', { error: wrapped, detail: describeError(wrapped) })
    expect(lines.join('\n')).not.toContain(API_KEY)
    expect(lines.join('\n')).not.toContain(ALICE.token)
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2025-06-30T00:00:00.000Z',
      event: 'job.failed',
      error: `AppError: ${ERROR_MESSAGES.provider_unavailable}: TypeError: fetch failed for Bearer [redacted]: Error: key [redacted] refused`,
      detail: 'submit: TypeError: fetch failed for Bearer [redacted]: Error: key [redacted] refused'
    })
  })
})

describe('the scrubber every line goes through', () => {
  it('replaces image bytes with their size and base64 runs and data URLs with their length, whatever LOG_PROMPTS says', () => {
    const base64 = Buffer.from(REFERENCE).toString('base64')
    for (const logPrompts of [false, true]) {
      expect(
        scrub(
          {
            bytes: REFERENCE,
            body: `{"image":"${base64}"}`,
            uri: `data:image/png;base64,${base64}`,
            nested: [{ buffer: new ArrayBuffer(3) }]
          },
          { logPrompts }
        )
      ).toEqual({
        bytes: `[${REFERENCE.length} bytes]`,
        body: `{"image":"[base64, ${base64.length} characters]"}`,
        uri: `[data URL, ${`data:image/png;base64,${base64}`.length} characters]`,
        nested: [{ buffer: '[3 bytes]' }]
      })
    }
  })

  it('masks the running job’s prompt inside other text (a host error quoting it), and keeps short prompts as they are', () => {
    const lines: Array<Record<string, unknown>> = []
    const context = createLogContext()
    const log = createRelayLog((_event, fields) => lines.push(fields), context, { logPrompts: false })
    context.run({ requestId: 'r1' }, () =>
      context.run({ jobId: 'j1', prompt: PROMPT }, () =>
        log('provider.submit_failed', { detail: `400: prompt "${PROMPT}" was refused`, positivePrompt: PROMPT })
      )
    )
    context.run({ jobId: 'j2', prompt: 'ok' }, () => log('x', { detail: 'ok then' }))
    expect(lines).toEqual([
      {
        requestId: 'r1',
        jobId: 'j1',
        detail: '400: prompt "[prompt]" was refused',
        positivePrompt: '[prompt omitted: set LOG_PROMPTS=1 to log prompts]'
      },
      { jobId: 'j2', detail: 'ok then' }
    ])
  })

  it('writes an error with the text of its causes, the prompt and image data masked in them too', () => {
    const base64 = Buffer.from(REFERENCE).toString('base64')
    const cause = new Error(`400: prompt "${PROMPT}" refused for image ${base64}`)
    const error = new AppError('provider_error', undefined, { cause })
    expect(scrub({ error }, { logPrompts: false, prompt: PROMPT })).toEqual({
      error: `AppError: ${ERROR_MESSAGES.provider_error}: Error: 400: prompt "[prompt]" refused for image [base64, ${base64.length} characters]`
    })
  })
})

itKeepsSecretsOut()
