/**
 * The few Cloudflare Workers runtime types the worker uses, declared here so the relay needs no
 * `@cloudflare/workers-types` (and its global declarations, which clash with @types/node). They
 * follow https://developers.cloudflare.com/durable-objects/api/ and match workerd's behaviour.
 */

/** Durable Object storage: the key–value API (works on both SQLite- and KV-backed objects). */
export interface DurableStorage {
  get<T = unknown>(key: string): Promise<T | undefined>
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>
  /** Up to 128 entries a call. */
  put(entries: Record<string, unknown>): Promise<void>
  put(key: string, value: unknown): Promise<void>
  delete(key: string): Promise<boolean>
  /** Up to 128 keys a call. */
  delete(keys: string[]): Promise<number>
  /** Entries in key order (UTF-8 byte order). */
  list<T = unknown>(options?: { prefix?: string; start?: string; end?: string; limit?: number }): Promise<Map<string, T>>
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number): Promise<void>
}

export interface DurableObjectId {
  toString(): string
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>
}

export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub
}

export interface DurableObjectState {
  readonly id: DurableObjectId
  readonly storage: DurableStorage
  blockConcurrencyWhile<T>(body: () => Promise<T>): Promise<T>
  waitUntil(promise: Promise<unknown>): void
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
  passThroughOnException(): void
}
