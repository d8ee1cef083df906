import type { ProviderDeps, ProviderEditInput, ProviderResult } from '../provider'
import type { VariantCall } from '../shared/run-variants-async'
import { buildGraph } from './build-graph'
import { createCallProgress } from './call-progress'
import type { ComfyuiClient } from './comfyui-client'
import { downloadOutputAsync } from './download-output-async'
import type { EditPrompts } from './edit-prompts'
import { executionFailure } from './execution-failure'
import { followPromptAsync } from './follow-prompt-async'
import { PollNudge } from '../shared/poll-nudge'
import type { ComfyEvent } from './progress-socket'
import { submitPromptAsync } from './submit-prompt-async'
import type { WorkflowTemplate } from './workflow-template'

/** What every call of one edit shares: the host, the workflow, the uploaded references' names. */
export interface ComfyuiEdit {
  client: ComfyuiClient
  template: WorkflowTemplate
  input: ProviderEditInput
  /** The names `/upload/image` returned, one per reference. */
  names: string[]
  prompts: EditPrompts
}

/** A random seed from the injected UUID source (uint32). */
function randomSeed(deps: ProviderDeps): number {
  return Number.parseInt(deps.randomUUID().replace(/-/g, '').slice(0, 8), 16)
}

/**
 * One call of the variant engine: one prompt, one image (the catalogue's `variantsPerCall` for
 * ComfyUI is 1: the workflow saves one image per run). A patched copy of the workflow goes to
 * `POST /prompt` with a `prompt_id` the relay chose, `/history` is followed until it is done, and
 * the image comes from `GET /view`.
 */
export async function runComfyuiCallAsync(edit: ComfyuiEdit, call: VariantCall): Promise<ProviderResult> {
  const { client, template, input, prompts } = edit
  const { request, offer, signal } = input
  const seed = call.seed ?? randomSeed(client.deps)
  const graph = buildGraph(template, {
    prompt: request.prompt,
    images: edit.names,
    seed,
    steps: request.steps ?? offer.steps?.default,
    guidance: request.guidance ?? offer.guidance?.default,
    size: { width: input.size.width, height: input.size.height }
  })
  const chosen = client.deps.randomUUID()
  const nudge = new PollNudge()
  const progress = createCallProgress(call.onProgress)
  const onEvent = (event: ComfyEvent): void => {
    if (progress.done) return
    // Only a hint: what happened is read from /history, now rather than after the poll's wait.
    if (event.kind === 'ended') return nudge.nudge()
    if (event.kind === 'progress') progress.step(event.value / event.max)
    progress.advance('running')
  }
  // Before the submit: ComfyUI may start it before its answer arrives.
  prompts.add(chosen, onEvent)
  prompts.submitting.add(chosen)
  const promptId = await submitPromptAsync(client, graph, chosen, signal).finally(() => prompts.submitting.delete(chosen))
  if (promptId !== chosen) prompts.add(promptId, onEvent)
  progress.advance('pending')
  const entry = await followPromptAsync(client, promptId, {
    signal,
    onPlace: (place) => progress.advance(place),
    sleepAsync: nudge.sleeper(client.deps.sleepAsync)
  })
  if (entry.status?.status_str === 'error') throw executionFailure(entry, promptId)
  const bytes = await downloadOutputAsync(client, entry, template.save, promptId, signal)
  progress.advance('done')
  client.deps.log('provider.done', { provider: 'comfyui', promptId })
  return { images: [{ bytes, seed }], costUsd: undefined, hostJobId: promptId }
}
