import { AppError } from '../../../shared/errors'
import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderFactory, ProviderResult } from '../provider'
import { runVariantsAsync } from '../shared/run-variants-async'
import { cancelAtHost } from './cancel-at-host'
import { createComfyuiClient } from './comfyui-client'
import { EditPrompts } from './edit-prompts'
import { loadWorkflow, type LoadedWorkflow } from './load-workflow'
import { createProgressSocket, websocketUrl } from './progress-socket'
import { runComfyuiCallAsync } from './run-comfyui-call-async'
import { uploadReferenceAsync } from './upload-reference-async'
import { WORKFLOW_FILES, type ComfyuiModel } from './workflow-files'

/**
 * A self-hosted ComfyUI running FLUX.1 Kontext [dev] and FLUX.2 [dev] (docs/hosts.md, "ComfyUI";
 * the operator's guide is docs/comfyui.md). No auth: ComfyUI is bound to localhost or a private
 * network and the relay sits in front of it.
 *
 * Each model has its own workflow (workflow-files.ts: the shipped one or the operator's), loaded
 * and checked at startup; an edit runs its model's. The wire is the same for both: the workflow
 * carries the difference.
 *
 * Flow per edit: `POST /upload/image` for each reference (named by a hash of its bytes, so a frame
 * edited again is not stored twice, and always referenced by the name ComfyUI returns); then the
 * variant engine (shared/run-variants-async.ts) runs one prompt per variant (run-comfyui-call-async.ts).
 * Because the relay chose each prompt's id, an ambiguous submit is resolved by looking for that id
 * in `/queue` and `/history` before anything is sent again: a prompt never runs twice. Builds that
 * ignore a client's `prompt_id` are detected (the answer carries another id); on those the relay
 * never resubmits after an ambiguous failure. A build that refuses a `prompt_id` it already has
 * answers 409: that prompt is queued (the first submit got there after all), so the relay follows
 * it rather than failing an edit that is running (submit-prompt-async.ts).
 *
 * Progress: `GET /queue` says queued or running; ComfyUI's websocket (progress-socket.ts), where it
 * works, adds the sampler's steps (`progress` value/max) and says when a prompt has ended, which
 * only makes the relay look at `/history` at once. The websocket is a nicety: whatever it does, the
 * edit follows `/history` as it would without it.
 */

const PROVIDER = 'comfyui'
/** How long an edit lets a websocket that is still opening catch up before it queues its prompts. */
const SOCKET_READY_MS = 2000

export const createComfyuiProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps): Provider => {
  const workflows = new Map<string, LoadedWorkflow>(
    (Object.keys(WORKFLOW_FILES) as ComfyuiModel[]).map((model) => [model, loadWorkflow(host, model)])
  )
  const client = createComfyuiClient(host.url, deps.randomUUID(), deps)
  const progressSocket = createProgressSocket({
    url: websocketUrl(host.url, client.clientId),
    provider: PROVIDER,
    log: deps.log,
    sleepAsync: deps.sleepAsync
  })
  for (const [model, { template, source }] of workflows)
    deps.log('provider.ready', { provider: PROVIDER, model, workflow: source, referenceSlots: template.images.length })

  async function editAsync(input: ProviderEditInput): Promise<ProviderResult> {
    const { signal } = input
    const workflow = workflows.get(input.model)
    // The relay sends only the models the catalogue offers here, and each has a workflow.
    if (workflow === undefined) throw new AppError('internal', undefined, { detail: `comfyui has no workflow for ${input.model}` })
    const prompts = new EditPrompts()
    const stopListening = progressSocket.listen((event) => prompts.route(event))
    const onAbort = (): void => {
      stopListening()
      cancelAtHost(client, [...prompts.started], [...prompts.submitting])
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      // The socket opens alongside the uploads, so it hears the prompts from their first frame.
      const [names] = await Promise.all([
        Promise.all(input.references.map((reference) => uploadReferenceAsync(client, reference, signal))),
        progressSocket.readyAsync(SOCKET_READY_MS, signal)
      ])
      deps.log('provider.uploaded', { provider: PROVIDER, references: names.length })
      const edit = { client, template: workflow.template, input, names, prompts }
      return await runVariantsAsync(input, deps, PROVIDER, (call) => runComfyuiCallAsync(edit, call))
    } catch (error) {
      if (signal.aborted) throw signal.reason
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
      stopListening()
    }
  }

  return { id: 'comfyui', editAsync }
}
