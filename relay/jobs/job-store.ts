/**
 * Where jobs live: see `../store/relay-store.ts` (the async interface every runtime implements),
 * `../store/memory-store.ts` (tests, and relays that need not survive a restart) and
 * `../store/file-store.ts` (Node: jobs, result images and the ledger on disk).
 *
 * The names here are the in-memory store's, kept for the relay's tests: `JobStore` is that store
 * with its synchronous test views (`get`, `values`).
 */
export type { MemoryStore as JobStore } from '../store/memory-store'
export { createMemoryStore as createMemoryJobStore } from '../store/memory-store'
