import type { UiToPlugin } from '../../shared/messages'
import type { MessageHandler } from './handler-context'
import { handleAddHistoryAsync } from './handle-add-history-async'
import { handleCancelAsync } from './handle-cancel-async'
import { handleCloseAsync } from './handle-close-async'
import { handleExportAreaAsync } from './handle-export-area-async'
import { handleExportSelectionAsync } from './handle-export-selection-async'
import { handleForgetJobAsync } from './handle-forget-job-async'
import { handleNotifyAsync } from './handle-notify-async'
import { handlePlaceResultsAsync } from './handle-place-results-async'
import { handleRememberJobAsync } from './handle-remember-job-async'
import { handleSaveSettingsAsync } from './handle-save-settings-async'
import { handleSelectNodesAsync } from './handle-select-nodes-async'
import { handleUiReadyAsync } from './handle-ui-ready-async'

/** One handler for every kind of message the UI sends; the mapped type makes a missing kind a compile error. */
export const MESSAGE_HANDLERS: { readonly [K in UiToPlugin['type']]: MessageHandler<K> } = {
  'ui-ready': handleUiReadyAsync,
  'export-selection': handleExportSelectionAsync,
  'export-area': handleExportAreaAsync,
  cancel: handleCancelAsync,
  'place-results': handlePlaceResultsAsync,
  'save-settings': handleSaveSettingsAsync,
  notify: handleNotifyAsync,
  'remember-job': handleRememberJobAsync,
  'forget-job': handleForgetJobAsync,
  'add-history': handleAddHistoryAsync,
  'select-nodes': handleSelectNodesAsync,
  close: handleCloseAsync
}
