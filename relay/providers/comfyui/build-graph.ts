import { addChain, removeChain } from './reference-chains'
import type { ApiGraph, GraphValues, InputTarget, WorkflowTemplate } from './workflow-template'

/** One prompt's graph: the template with the values written in, and one chain per reference. */
export function buildGraph(template: WorkflowTemplate, values: GraphValues): ApiGraph {
  const graph = structuredClone(template.graph)
  const set = (ref: InputTarget, value: unknown): void => {
    graph[ref.node]!.inputs[ref.input] = value
  }
  let slots = [...template.images]
  for (let index = slots.length - 1; index >= values.images.length && index > 0; index -= 1) removeChain(graph, slots[index]!.node)
  slots = slots.slice(0, Math.max(1, values.images.length))
  while (slots.length < values.images.length) {
    const last = slots[slots.length - 1]!
    slots.push({ node: addChain(graph, last.node), input: last.input })
  }
  slots.forEach((slot, index) => set(slot, values.images[index]))
  set(template.prompt, values.prompt)
  set(template.seed, values.seed)
  if (values.steps !== undefined) set(template.steps, values.steps)
  if (values.guidance !== undefined) set(template.guidance, values.guidance)
  const { size } = values
  if (size !== undefined) {
    for (const target of template.size) {
      graph[target.node]!.inputs[target.width] = size.width
      graph[target.node]!.inputs[target.height] = size.height
    }
  }
  return graph
}
