import { findAreaOffer } from '../area/find-area-offer'
import { loadHistoryAsync } from '../storage/load-history-async'
import { loadPendingJobsAsync } from '../storage/load-pending-jobs-async'
import { loadSettingsAsync } from '../storage/load-settings-async'
import { readSelectionAsync } from '../selection/read-selection-async'
import type { MessageHandler } from './handler-context'

/**
 * The panel opens on `init`, sent without the selection's thumbnails: each is an export, and a
 * large frame's takes Figma a while. They follow as a `selection` report, so the designer can type
 * the instruction meanwhile.
 */
export const handleUiReadyAsync: MessageHandler<'ui-ready'> = async (_message, { figma, deps, post, fileId, sendSelectionAsync }) => {
  const [settings, selection, pendingJobs, history] = await Promise.all([
    loadSettingsAsync(figma.clientStorage),
    readSelectionAsync(figma.currentPage.selection, { thumbnails: false }),
    loadPendingJobsAsync(figma.clientStorage, deps.now()),
    loadHistoryAsync(figma.clientStorage, fileId())
  ])
  const area = findAreaOffer(figma.currentPage.selection)
  post({ type: 'init', settings, selection, ...(area === undefined ? {} : { area }), pendingJobs, history, ...deps.launch })
  if (selection.length > 0) await sendSelectionAsync()
}
