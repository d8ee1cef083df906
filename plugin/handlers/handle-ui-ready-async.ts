import { findAreaOffer } from '../area/find-area-offer'
import { loadHistoryAsync } from '../storage/load-history-async'
import { loadPendingJobsAsync } from '../storage/load-pending-jobs-async'
import { loadSettingsAsync } from '../storage/load-settings-async'
import { readSelectionAsync } from '../selection/read-selection-async'
import type { MessageHandler } from './handler-context'

export const handleUiReadyAsync: MessageHandler<'ui-ready'> = async (_message, { figma, deps, post, fileId }) => {
  const [settings, selection, pendingJobs, history] = await Promise.all([
    loadSettingsAsync(figma.clientStorage),
    readSelectionAsync(figma.currentPage.selection),
    loadPendingJobsAsync(figma.clientStorage, deps.now()),
    loadHistoryAsync(figma.clientStorage, fileId())
  ])
  const area = findAreaOffer(figma.currentPage.selection)
  post({ type: 'init', settings, selection, ...(area === undefined ? {} : { area }), pendingJobs, history, ...deps.launch })
}
