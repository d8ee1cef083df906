import type { PROVIDERS } from '../../../shared/models'
import flux2DevWorkflowFile from './flux2-dev-workflow.json'
import kontextDevWorkflowFile from './kontext-dev-workflow.json'

/** The models ComfyUI offers (shared/catalogue/comfyui.ts): each needs a workflow below. */
export type ComfyuiModel = keyof typeof PROVIDERS.comfyui.offers

export interface WorkflowFile {
  /** The variable that replaces the shipped workflow with the operator's file. */
  setting: string
  /** The shipped workflow, parsed JSON. */
  shipped: unknown
  /** The shipped file's name, for the log. */
  shippedName: string
}

/**
 * Which workflow runs each model: the one shipped in this folder, unless the operator's file
 * replaces it (docs/comfyui.md, "Your own workflow"). A model ComfyUI offers without an entry
 * here does not compile.
 */
export const WORKFLOW_FILES: Readonly<Record<ComfyuiModel, WorkflowFile>> = {
  'kontext-dev': { setting: 'COMFYUI_WORKFLOW_FILE', shipped: kontextDevWorkflowFile, shippedName: 'kontext-dev-workflow.json' },
  'flux2-dev': { setting: 'COMFYUI_FLUX2_WORKFLOW_FILE', shipped: flux2DevWorkflowFile, shippedName: 'flux2-dev-workflow.json' }
}
