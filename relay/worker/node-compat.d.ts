// The one Node module the worker bundle imports (relay/log/relay-log.ts), which workerd provides
// with the nodejs_compat flag. Declared by hand so this project does not load @types/node.
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined
    run<R>(store: T, callback: () => R): R
  }
}
