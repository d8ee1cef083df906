import { AppError, ERROR_MESSAGES } from '../../shared/errors'
import { toErrorInfo } from '../../shared/to-error-info'
import type { Settings } from '../../shared/settings'
import { waitForEditAsync } from '../../client/wait-for-edit-async'
import { collectResultsAsync, type PendingPlacement, type ResultContext } from '../edit/collect-results-async'
import { placePendingAsync } from '../edit/place-pending-async'
import { recoverAreaResultsAsync } from '../edit/recover-area-results-async'
import type { EditDeps } from '../edit/edit-deps'
import { runPlanAsync, type Plan } from '../edit/run-plan-async'
import type { ItemState, Recovered } from '../state/panel-state'
import type { EditSessionDeps } from './edit-session'
import { historyEntryOf } from './history-entry-of'
import { pendingJobOf } from './pending-job-of'
import type { PanelStore } from './panel-store'

export interface EditWorkflows {
  /** Stops the edit under way; false when there is none. */
  cancel(): boolean
  runAsync(plan: Plan): Promise<void>
  placeAgainAsync(pending: PendingPlacement, name: string): Promise<void>
  /** Follows a job from a panel that closed mid-way to its end, and offers its result. */
  recoverAsync(entry: Recovered): Promise<void>
  placeRecoveredAsync(entry: Recovered): Promise<void>
}

interface WorkflowContext {
  deps: EditSessionDeps
  store: PanelStore
  /** The edit under way; only one runs at a time. */
  running: { current: AbortController | undefined }
}

const isQuick = (ctx: WorkflowContext): boolean => ctx.store.getState().launch.command === 'quick'

function editDepsFor({ deps }: WorkflowContext, settings: Settings): EditDeps {
  return {
    plugin: deps.bridge,
    relay: deps.relayFor(settings.relayUrl, settings.token),
    resizeAsync: deps.resizeAsync,
    prepareComposite: deps.prepareComposite,
    sleepAsync: deps.sleepAsync,
    now: deps.now,
    onProgress: () => undefined,
    log: deps.log
  }
}

/** The quick action has no panel to show progress in: Figma's notifications say it instead. */
function notifyQuick(ctx: WorkflowContext, message: string, error = false): void {
  if (isQuick(ctx)) ctx.deps.bridge.post({ type: 'notify', message, error })
}

function recordPlaced({ deps }: WorkflowContext, pending: PendingPlacement, nodeIds: string[], elapsedMs: number): void {
  deps.bridge.post({ type: 'forget-job', jobId: pending.job.id })
  deps.bridge.post({ type: 'add-history', entry: historyEntryOf(pending, nodeIds, elapsedMs, deps.now()) })
}

/** Claims the one running slot; undefined when an edit is already under way. */
function claim({ running }: WorkflowContext): AbortController | undefined {
  if (running.current !== undefined) return undefined
  running.current = new AbortController()
  return running.current
}

function finishQuick(ctx: WorkflowContext, items: ItemState[]): void {
  const failed = items.filter((item) => item.stage === 'failed')
  if (failed.length > 0) notifyQuick(ctx, failed[0]!.error?.message ?? ERROR_MESSAGES.provider_error, true)
  const placed = items.length - failed.length
  ctx.deps.bridge.post({
    type: 'close',
    ...(placed > 0
      ? { message: placed === 1 ? `Kontext Edit: result placed beside “${items[0]!.name}”` : `Kontext Edit: ${placed} results placed` }
      : {})
  })
}

async function runAsync(ctx: WorkflowContext, plan: Plan): Promise<void> {
  const controller = claim(ctx)
  if (controller === undefined) return
  const { deps, store } = ctx
  const settings = store.getState().settings
  const startedAt = deps.now()
  const items: ItemState[] = plan.items.map((item) => ({
    sourceId: item.sourceId,
    name: item.name,
    stage: 'waiting',
    stageStartedAt: startedAt
  }))
  let lastStage = ''
  try {
    store.dispatch({ type: 'started', items: plan.items, now: startedAt })
    notifyQuick(ctx, `Kontext Edit: editing ${plan.items.length === 1 ? `“${plan.items[0]!.name}”` : `${plan.items.length} frames`}…`)
    const callbacks = {
      onItem: (index: number, patch: Partial<ItemState>) => {
        items[index] = { ...items[index]!, ...patch }
        store.dispatch({ type: 'item', index, patch, now: deps.now() })
        if (patch.stage === 'generating' && lastStage !== 'generating') notifyQuick(ctx, 'Kontext Edit: generating…')
        lastStage = patch.stage ?? lastStage
      },
      onJobCreated: (jobId: string, context: ResultContext) =>
        deps.bridge.post({ type: 'remember-job', job: pendingJobOf(jobId, context, settings.relayUrl, deps.now()) }),
      onPlaced: (pending: PendingPlacement, nodeIds: string[]) => recordPlaced(ctx, pending, nodeIds, deps.now() - startedAt)
    }
    const outcome = await runPlanAsync(plan, () => editDepsFor(ctx, settings), callbacks, controller.signal, deps.randomId)
    if (controller.signal.aborted) {
      store.dispatch({ type: 'canceled', pending: items.find((item) => item.pending !== undefined)?.pending })
      return notifyQuick(ctx, 'Kontext Edit: canceled.')
    }
    store.dispatch({ type: 'finished', now: deps.now(), besideSource: outcome.besideSource })
    if (isQuick(ctx)) finishQuick(ctx, items)
  } catch (error) {
    deps.log('edit failed', error)
    store.dispatch({ type: 'item', index: 0, patch: { stage: 'failed', error: toErrorInfo(error, 'provider_error') }, now: deps.now() })
    store.dispatch({ type: 'finished', now: deps.now(), besideSource: true })
    if (isQuick(ctx)) {
      notifyQuick(ctx, toErrorInfo(error, 'provider_error').message, true)
      deps.bridge.post({ type: 'close' })
    }
  } finally {
    ctx.running.current = undefined
  }
}

async function placeAgainAsync(ctx: WorkflowContext, pending: PendingPlacement, name: string): Promise<void> {
  const controller = claim(ctx)
  if (controller === undefined) return
  const { deps, store } = ctx
  const retry = { ...pending, requestId: deps.randomId() }
  const startedAt = deps.now()
  store.dispatch({ type: 'started', items: [{ sourceId: retry.sourceId, name }], now: startedAt })
  try {
    store.dispatch({ type: 'item', index: 0, patch: { stage: 'placing' }, now: startedAt })
    const placed = await placePendingAsync(retry, editDepsFor(ctx, store.getState().settings), controller.signal)
    recordPlaced(ctx, retry, placed.nodeIds, deps.now() - startedAt)
    store.dispatch({
      type: 'item',
      index: 0,
      patch: { stage: 'done', nodeIds: placed.nodeIds, ...(retry.job.cost === undefined ? {} : { costUsd: retry.job.cost }) },
      now: deps.now()
    })
    store.dispatch({ type: 'finished', now: deps.now(), besideSource: placed.besideSource })
  } catch (error) {
    store.dispatch({
      type: 'item',
      index: 0,
      patch: { stage: 'failed', error: toErrorInfo(error, 'place_failed'), pending: retry },
      now: deps.now()
    })
    store.dispatch({ type: 'finished', now: deps.now(), besideSource: true })
  } finally {
    ctx.running.current = undefined
  }
}

async function recoverAsync(ctx: WorkflowContext, entry: Recovered): Promise<void> {
  const { deps, store } = ctx
  const job = entry.job
  const relay = deps.relayFor(job.relayUrl, store.getState().settings.token)
  try {
    const finished = await waitForEditAsync(relay, job.jobId, {
      signal: new AbortController().signal,
      sleepAsync: deps.sleepAsync,
      now: deps.now
    })
    if (finished.status !== 'succeeded') throw new AppError(finished.error?.code ?? 'provider_error')
    const context: ResultContext = {
      requestId: deps.randomId(),
      prompt: job.prompt,
      sourceId: job.sourceId,
      sourceName: job.sourceName,
      options: job.options,
      ...(job.parent === undefined ? {} : { parent: job.parent })
    }
    const editDeps = { ...editDepsFor(ctx, store.getState().settings), relay }
    const signal = new AbortController().signal
    const pending =
      job.area === undefined
        ? await collectResultsAsync(finished, context, editDeps, signal)
        : await recoverAreaResultsAsync(finished, { ...context, area: job.area }, editDeps, signal)
    store.dispatch({ type: 'recovered', jobId: job.jobId, patch: { state: 'ready', pending } })
  } catch (error) {
    deps.bridge.post({ type: 'forget-job', jobId: job.jobId })
    store.dispatch({ type: 'recovered', jobId: job.jobId, patch: undefined })
    const info = toErrorInfo(error, 'provider_error')
    store.dispatch({
      type: 'notice',
      notice:
        info.code === 'not_found'
          ? 'An earlier edit expired on the relay before it could be placed.'
          : `An earlier edit did not finish: ${info.message}`
    })
  }
}

async function placeRecoveredAsync(ctx: WorkflowContext, entry: Recovered): Promise<void> {
  const { store } = ctx
  if (entry.pending === undefined) return
  store.dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'placing' } })
  try {
    const placed = await placePendingAsync(entry.pending, editDepsFor(ctx, store.getState().settings), new AbortController().signal)
    recordPlaced(ctx, entry.pending, placed.nodeIds, 0)
    store.dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: undefined })
  } catch (error) {
    store.dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'ready' } })
    store.dispatch({ type: 'notice', notice: toErrorInfo(error, 'place_failed').message })
  }
}

function cancel({ running, store }: WorkflowContext): boolean {
  if (running.current === undefined) return false
  store.dispatch({ type: 'cancel-requested' })
  running.current.abort(new AppError('canceled'))
  return true
}

/**
 * The panel's edit workflows on the session's store: run a plan, place a kept result again,
 * recover a job that finished while the panel was closed. The quick action reports through
 * Figma's notifications and closes the plugin when it is done.
 */
export function createEditWorkflows(deps: EditSessionDeps, store: PanelStore): EditWorkflows {
  const ctx: WorkflowContext = { deps, store, running: { current: undefined } }
  return {
    cancel: () => cancel(ctx),
    runAsync: (plan) => runAsync(ctx, plan),
    placeAgainAsync: (pending, name) => placeAgainAsync(ctx, pending, name),
    recoverAsync: (entry) => recoverAsync(ctx, entry),
    placeRecoveredAsync: (entry) => placeRecoveredAsync(ctx, entry)
  }
}
