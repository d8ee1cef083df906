import { selectNodesAsync } from '../selection/select-nodes-async'
import type { MessageHandler } from './handler-context'

export const handleSelectNodesAsync: MessageHandler<'select-nodes'> = async (message, { figma, deps, post }) => {
  let found = 0
  try {
    found = await selectNodesAsync(figma, message.nodeIds)
  } catch (error) {
    deps.log('select failed', error)
  }
  // Always answer: the panel waits for it to say whether the layers are still there.
  post({ type: 'nodes-selected', found })
}
