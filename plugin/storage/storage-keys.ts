/** The clientStorage keys the sandbox writes, one place so no two stores can collide. */
export const HISTORY_KEY_PREFIX = 'kontext-edit/history/'
export const HISTORY_FILES_KEY = 'kontext-edit/history-files'
export const PENDING_JOBS_KEY = 'kontext-edit/pending-jobs'
