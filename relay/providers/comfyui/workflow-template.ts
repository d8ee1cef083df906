/**
 * A ComfyUI workflow in API format plus the node mapping that says where the relay writes each
 * value (docs/comfyui.md, "Your own workflow"). Parsed and checked once at startup; `buildGraph`
 * then makes one patched copy per prompt, adding or removing reference chains as needed.
 */

export interface ApiNode {
  class_type: string
  inputs: Record<string, unknown>
  [key: string]: unknown
}
export type ApiGraph = Record<string, ApiNode>

export interface InputTarget {
  node: string
  input: string
}

export interface SizeTarget {
  node: string
  width: string
  height: string
}

export interface WorkflowTemplate {
  graph: ApiGraph
  prompt: InputTarget
  /** One LoadImage per reference slot, in order. */
  images: InputTarget[]
  seed: InputTarget
  steps: InputTarget
  guidance: InputTarget
  /**
   * Where the output width and height go (FLUX.2's latent and its scheduler both take them); none:
   * the workflow decides the size.
   */
  size: SizeTarget[]
  /** The node whose `outputs[...].images` hold the result (a SaveImage). */
  save: string
}

export interface GraphValues {
  prompt: string
  /** The names `/upload/image` returned, one per reference. */
  images: string[]
  seed: number
  steps: number | undefined
  guidance: number | undefined
  size: { width: number; height: number } | undefined
}

/** A problem with the workflow file, phrased for the operator. */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError'
}
