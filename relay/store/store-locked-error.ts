/** Another relay process holds the store's folder (see lock-folder-async.ts). */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError'
}
